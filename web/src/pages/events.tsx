import { request } from '../graphql';
import { useLoad, useNow } from '../hooks';
import { formatDuration, useI18n } from '../i18n';
import { EVENTS, type EventInfo } from '../operations';
import { LoadView, PageTitle, StatusBadge, useSession } from '../ui';

/** "Opens in 1:02:03" while opensAt is ahead, else when it opens or closes. */
export function EventTiming({ event, now }: { event: EventInfo; now: number }) {
  const { t, date } = useI18n();
  const opensIn = event.opensAt ? (Date.parse(event.opensAt) - now) / 1000 : 0;
  if (event.opensAt && opensIn > 0 && event.status !== 'OPEN') {
    return (
      <p class="timing">
        <span class="countdown">{t('opensIn', { time: formatDuration(opensIn) })}</span>{' '}
        <span class="muted">({t('opensAt', { date: date(event.opensAt) })})</span>
      </p>
    );
  }
  if (event.closesAt && event.status === 'OPEN')
    return <p class="timing muted">{t('closesAt', { date: date(event.closesAt) })}</p>;
  return null;
}

export function EventsPage() {
  const { t } = useI18n();
  const { session } = useSession();
  const [load, reload] = useLoad(`events:${session?.token ?? ''}`, () =>
    request<{ events: EventInfo[] }>(EVENTS, {}, session?.token),
  );
  const counting = load.state === 'done' && load.data.events.some((e) => e.opensAt && Date.parse(e.opensAt) > Date.now());
  const now = useNow(counting);
  return (
    <section>
      <PageTitle>{t('eventsTitle')}</PageTitle>
      <LoadView load={load} reload={reload}>
        {({ events }) =>
          events.length === 0 ? (
            <p>{t('noEvents')}</p>
          ) : (
            <ul class="cards">
              {events.map((event) => (
                <li key={event.id} class="card">
                  <h2>
                    <a href={`#/events/${event.id}`}>{event.name}</a>
                  </h2>
                  <p>
                    <StatusBadge status={event.status} />{' '}
                    <span>{t('remainingOf', { remaining: event.remaining, stock: event.stock })}</span>
                  </p>
                  <EventTiming event={event} now={now} />
                </li>
              ))}
            </ul>
          )
        }
      </LoadView>
    </section>
  );
}
