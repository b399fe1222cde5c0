import { useEffect, useRef, useState } from 'preact/hooks';
import { sleep } from '../backoff';
import { request, withRetry } from '../graphql';
import { useLoad, useNow } from '../hooks';
import { useI18n } from '../i18n';
import { subscribe } from '../live';
import {
  APPLICATION_STATUS,
  APPLY,
  EVENT,
  MY_APPLICATION,
  type Application,
  type ApplyOutcome,
  type EventInfo,
} from '../operations';
import { FINAL, mergeApplication } from '../status';
import { ErrorMessage, LoadView, PageTitle, StatusBadge, errorText, useSession } from '../ui';
import { ApplicationPanel } from './application';
import { EventTiming } from './events';

interface EventData {
  event: EventInfo | null;
  myApplication?: Application | null;
}

/** Whether pressing Apply can help now: the event is open, or its waiting room or opening time has come. */
function canApply(event: EventInfo, now: number): boolean {
  if (event.status === 'OPEN') return true;
  if (event.status !== 'SCHEDULED') return false;
  const from = event.waitingRoomOpensAt ?? event.opensAt;
  return from !== null && Date.parse(from) <= now;
}

function useApplication(eventId: string, token: string | undefined, initial: Application | null | undefined) {
  const [application, setApplication] = useState<Application | undefined>(initial ?? undefined);
  const [liveWait, setLiveWait] = useState<number>();
  const [liveError, setLiveError] = useState<unknown>();
  const update = (next: Application | null | undefined): void => setApplication((shown) => mergeApplication(shown, next));
  useEffect(() => {
    if (!token) return;
    return subscribe<{ applicationStatus: Application }>(
      token,
      APPLICATION_STATUS,
      { eventId },
      {
        next: (data) => {
          setLiveWait(undefined);
          update(data.applicationStatus);
        },
        waiting: (ms) => setLiveWait(Math.ceil(ms / 1000)),
        fail: setLiveError,
      },
    );
  }, [eventId, token]);
  return { application, update, liveWait, liveError };
}

interface ApplySectionProps {
  event: EventInfo;
  token: string;
  initial: Application | null | undefined;
  /** The application was decided while the page was open. */
  onDecided(): void;
}

function ApplySection({ event, token, initial, onDecided }: ApplySectionProps) {
  const { t } = useI18n();
  const { application, update, liveWait, liveError } = useApplication(event.id, token, initial);
  const decidedAtLoad = useRef(initial ? FINAL.has(initial.status) : false);
  const decided = application ? FINAL.has(application.status) : false;
  useEffect(() => {
    if (decided && !decidedAtLoad.current) onDecided();
  }, [decided]);
  const inFlight = useRef(false);
  const [applying, setApplying] = useState(false);
  const [outcome, setOutcome] = useState<ApplyOutcome>();
  const [wait, setWait] = useState<number>();
  const [error, setError] = useState<unknown>();
  const now = useNow(!canApply(event, Date.now()));

  // Safe to press many times: one request at a time, and the server answers ALREADY_APPLIED anyway.
  const apply = async (): Promise<void> => {
    if (inFlight.current) return;
    inFlight.current = true;
    setApplying(true);
    setError(undefined);
    try {
      const data = await withRetry(
        () => request<{ apply: { outcome: ApplyOutcome; application: Application | null } }>(APPLY, { eventId: event.id }, token),
        {
          onWait: (ms) => setWait(Math.ceil(ms / 1000)),
        },
      );
      setOutcome(data.apply.outcome);
      update(data.apply.application);
    } catch (err) {
      setError(err);
    } finally {
      inFlight.current = false;
      setApplying(false);
      setWait(undefined);
    }
  };

  return (
    <>
      {!application && (
        <p>
          <button type="button" class="primary big" disabled={applying || !canApply(event, now)} onClick={() => void apply()}>
            {applying ? t('applying') : t('apply')}
          </button>
        </p>
      )}
      {wait !== undefined && <p role="status">{t('retryingIn', { seconds: wait })}</p>}
      {outcome === 'NOT_OPEN' && !application && <p role="alert">{t('notOpen')}</p>}
      <ErrorMessage error={error} />
      {liveWait !== undefined && <p class="muted">{t('liveReconnecting', { seconds: liveWait })}</p>}
      {liveError !== undefined && <p class="error">{errorText(t, liveError)}</p>}
      <ApplicationPanel application={application} token={token} onChange={update} />
    </>
  );
}

export function EventPage({ eventId }: { eventId: string }) {
  const { t } = useI18n();
  const { session } = useSession();
  const token = session?.token;
  const [load, reload] = useLoad(`event:${eventId}:${token ?? ''}`, () =>
    token
      ? request<EventData>(
          `query EventPage($id: ID!, $eventId: ID!) { ${inner(EVENT)} ${inner(MY_APPLICATION)} }`,
          { id: eventId, eventId },
          token,
        )
      : request<EventData>(EVENT, { id: eventId }),
  );
  const now = useNow();
  // Once this participant's result is in, the event's remaining count has moved: read it again,
  // once, at a random moment within a few seconds, so a herd's results do not all ask at once.
  const [fresh, setFresh] = useState<EventInfo>();
  const refresh = (): void => {
    sleep(Math.random() * 5_000)
      .then(() => request<{ event: EventInfo | null }>(EVENT, { id: eventId }))
      .then((data) => data.event && setFresh(data.event))
      .catch(() => undefined);
  };
  return (
    <section>
      <p>
        <a href="#/">← {t('backToEvents')}</a>
      </p>
      <LoadView load={load} reload={reload}>
        {({ event: loaded, myApplication }) => {
          const event = fresh ?? loaded;
          return !event ? (
            <>
              <PageTitle>{t('eventNotFound')}</PageTitle>
            </>
          ) : (
            <>
              <PageTitle>{event.name}</PageTitle>
              <p>
                <StatusBadge status={event.status} /> {t('remainingOf', { remaining: event.remaining, stock: event.stock })}
              </p>
              <EventTiming event={event} now={now} />
              {token ? (
                <ApplySection event={event} token={token} initial={myApplication} onDecided={refresh} />
              ) : (
                <p>
                  <a class="button primary" href={`#/signin?next=${encodeURIComponent(`/events/${eventId}`)}`}>
                    {t('signInToApply')}
                  </a>
                </p>
              )}
            </>
          );
        }}
      </LoadView>
    </section>
  );
}

/** The selection set of a one-field operation, to put two into one request. */
function inner(document: string): string {
  return document.slice(document.indexOf('{') + 1, document.lastIndexOf('}'));
}
