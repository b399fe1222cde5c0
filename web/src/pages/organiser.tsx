import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { request } from '../graphql';
import { useLoad } from '../hooks';
import { useI18n } from '../i18n';
import { CREATE_EVENT, EVENTS, type EventInfo } from '../operations';
import { ErrorMessage, LoadView, PageTitle, StatusBadge, useSession } from '../ui';

/** Only for an admin's session; anyone else is told to sign in with an organiser address. */
export function AdminOnly({ children }: { children: (token: string) => ComponentChildren }) {
  const { t } = useI18n();
  const { session } = useSession();
  if (!session?.participant.isAdmin) {
    return (
      <section>
        <PageTitle>{t('organiserTitle')}</PageTitle>
        <p>{t('adminOnly')}</p>
        <p>
          <a class="button" href="#/signin?next=%2Forganiser">
            {t('signIn')}
          </a>
        </p>
      </section>
    );
  }
  return <>{children(session.token)}</>;
}

/** A datetime-local value as an ISO instant; empty stays unset. */
function instant(value: string): string | undefined {
  return value ? new Date(value).toISOString() : undefined;
}

function wholeNumber(value: string): number | undefined {
  return value.trim() === '' ? undefined : Number(value);
}

interface Field {
  id: string;
  label: Parameters<ReturnType<typeof useI18n>['t']>[0];
  type: 'text' | 'number' | 'datetime-local';
  required?: boolean;
}

const FIELDS: Field[] = [
  { id: 'name', label: 'name', type: 'text', required: true },
  { id: 'stock', label: 'stock', type: 'number', required: true },
  { id: 'opensAt', label: 'opensAtLabel', type: 'datetime-local' },
  { id: 'closesAt', label: 'closesAtLabel', type: 'datetime-local' },
  { id: 'waitingRoomOpensAt', label: 'waitingRoomLabel', type: 'datetime-local' },
  { id: 'claimWindowSeconds', label: 'claimWindowLabel', type: 'number' },
  { id: 'maxOpenOffers', label: 'maxOffersLabel', type: 'number' },
];

function inputType(type: Field['type']) {
  if (type === 'number') return { type: 'number' as const, min: 0, step: 1 };
  return type === 'text' ? { type: 'text' as const } : { type: 'datetime-local' as const };
}

function CreateEventForm({ token, onCreated }: { token: string; onCreated(event: EventInfo): void }) {
  const { t } = useI18n();
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const submit = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    const v = (id: string): string => values[id] ?? '';
    const input = {
      name: v('name').trim(),
      stock: Number(v('stock')),
      opensAt: instant(v('opensAt')),
      closesAt: instant(v('closesAt')),
      waitingRoomOpensAt: instant(v('waitingRoomOpensAt')),
      claimWindowSeconds: wholeNumber(v('claimWindowSeconds')),
      maxOpenOffers: wholeNumber(v('maxOpenOffers')),
    };
    try {
      const data = await request<{ createEvent: EventInfo }>(CREATE_EVENT, { input }, token);
      setDone(data.createEvent.name);
      setValues({});
      onCreated(data.createEvent);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      class="grid-form"
      aria-labelledby="create-heading"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2 id="create-heading">{t('createEvent')}</h2>
      {FIELDS.map((f) => (
        <p key={f.id}>
          <label for={`f-${f.id}`}>{t(f.label)}</label>
          <input
            id={`f-${f.id}`}
            name={f.id}
            {...inputType(f.type)}
            required={f.required ?? false}
            value={values[f.id] ?? ''}
            onInput={(e) => setValues({ ...values, [f.id]: e.currentTarget.value })}
          />
        </p>
      ))}
      <p>
        <button type="submit" class="primary" disabled={busy}>
          {t('create')}
        </button>
      </p>
      <p role="status">{done === undefined ? '' : t('created', { name: done })}</p>
      <ErrorMessage error={error} />
    </form>
  );
}

function EventTable({ events }: { events: EventInfo[] }) {
  const { t } = useI18n();
  if (events.length === 0) return <p>{t('noEvents')}</p>;
  return (
    <table>
      <caption>{t('allEvents')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('name')}</th>
          <th scope="col">{t('statusLabel')}</th>
          <th scope="col">{t('stat_remaining')}</th>
          <th scope="col">
            <span class="visually-hidden">{t('manage')}</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr key={e.id}>
            <td>{e.name}</td>
            <td>
              <StatusBadge status={e.status} />
            </td>
            <td>
              {e.remaining} / {e.stock}
            </td>
            <td>
              <a href={`#/organiser/${e.id}`} aria-label={`${t('manage')}: ${e.name}`}>
                {t('manage')}
              </a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Organiser({ token }: { token: string }) {
  const { t } = useI18n();
  const [load, reload, replace] = useLoad('organiser-events', () => request<{ events: EventInfo[] }>(EVENTS, {}, token));
  return (
    <section>
      <PageTitle>{t('organiserTitle')}</PageTitle>
      <div class="columns">
        <CreateEventForm
          token={token}
          onCreated={(event) => replace({ events: [event, ...(load.state === 'done' ? load.data.events : [])] })}
        />
        <div>
          <LoadView load={load} reload={reload}>
            {({ events }) => <EventTable events={events} />}
          </LoadView>
        </div>
      </div>
    </section>
  );
}

export function OrganiserPage() {
  return <AdminOnly>{(token) => <Organiser token={token} />}</AdminOnly>;
}
