import { useState } from 'preact/hooks';
import { request } from '../graphql';
import { useLoad } from '../hooks';
import { useI18n } from '../i18n';
import { CLOSE_EVENT, EVENT, OPEN_EVENT, SET_STOCK, type EventInfo } from '../operations';
import { ErrorMessage, LoadView, PageTitle, StatusBadge } from '../ui';
import { LiveStats } from './live-stats';
import { AdminOnly } from './organiser';
import { Redeem, Winners } from './winners';

function Controls({ event, token, onChange }: { event: EventInfo; token: string; onChange(event: EventInfo): void }) {
  const { t } = useI18n();
  const [stock, setStock] = useState(String(event.stock));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const run = async (query: string, field: string, variables: Record<string, unknown>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setSaved(false);
    try {
      const data = await request<Record<string, EventInfo>>(query, { eventId: event.id, ...variables }, token);
      const next = data[field];
      if (next) onChange(next);
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const openable = event.status === 'DRAFT' || event.status === 'SCHEDULED' || event.status === 'CLOSED';
  return (
    <div class="panel">
      <p class="row">
        <button type="button" class="primary" disabled={busy || !openable} onClick={() => void run(OPEN_EVENT, 'openEvent', {})}>
          {t('open')}
        </button>
        <button
          type="button"
          class="secondary"
          disabled={busy || event.status === 'CLOSED'}
          onClick={() => void run(CLOSE_EVENT, 'closeEvent', {})}
        >
          {t('close')}
        </button>
      </p>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void run(SET_STOCK, 'setStock', { stock: Number(stock) });
        }}
      >
        <label for="set-stock">{t('setStock')}</label>
        <input
          id="set-stock"
          type="number"
          min={0}
          step={1}
          required
          value={stock}
          onInput={(e) => setStock(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          {t('save')}
        </button>
      </form>
      <p role="status">{saved ? t('saved') : ''}</p>
      <ErrorMessage error={error} />
    </div>
  );
}

function OrganiserEvent({ eventId, token }: { eventId: string; token: string }) {
  const { t } = useI18n();
  const [redeemed, setRedeemed] = useState(0);
  const [load, reload, replace] = useLoad(`organiser-event:${eventId}`, () =>
    request<{ event: EventInfo | null }>(EVENT, { id: eventId }, token),
  );
  return (
    <section>
      <p>
        <a href="#/organiser">← {t('organiserTitle')}</a>
      </p>
      <LoadView load={load} reload={reload}>
        {({ event }) =>
          !event ? (
            <PageTitle>{t('eventNotFound')}</PageTitle>
          ) : (
            <>
              <PageTitle>{event.name}</PageTitle>
              <p>
                <StatusBadge status={event.status} />
              </p>
              <div class="columns">
                <Controls event={event} token={token} onChange={(next) => replace({ event: next })} />
                <Redeem token={token} onRedeemed={() => setRedeemed((n) => n + 1)} />
              </div>
              <LiveStats eventId={eventId} token={token} />
              <Winners eventId={eventId} token={token} redeemed={redeemed} />
            </>
          )
        }
      </LoadView>
    </section>
  );
}

export function OrganiserEventPage({ eventId }: { eventId: string }) {
  return <AdminOnly>{(token) => <OrganiserEvent eventId={eventId} token={token} />}</AdminOnly>;
}
