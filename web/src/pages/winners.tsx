import { useEffect, useState } from 'preact/hooks';
import { ApiError, request, withRetry } from '../graphql';
import { useI18n } from '../i18n';
import { GIFTS, REDEEM, type Gift } from '../operations';
import { toCsv } from '../status';
import { ErrorMessage, PageError } from '../ui';

/** Every page of the event's gifts, in line order. */
async function allGifts(eventId: string, token: string): Promise<Gift[]> {
  const gifts: Gift[] = [];
  let after: string | null = null;
  do {
    const page: { gifts: { gifts: Gift[]; next: string | null } } = await withRetry(() =>
      request(GIFTS, { eventId, after }, token),
    );
    gifts.push(...page.gifts.gifts);
    after = page.gifts.next;
  } while (after);
  return gifts;
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

export function Winners({ eventId, token, redeemed }: { eventId: string; token: string; redeemed: number }) {
  const { t, date } = useI18n();
  const [gifts, setGifts] = useState<Gift[]>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const load = async (): Promise<Gift[] | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      const list = await allGifts(eventId, token);
      setGifts(list);
      return list;
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  const shown = gifts !== undefined;
  useEffect(() => {
    // A code redeemed on this page: a list already shown picks up its redeemedAt.
    if (shown && redeemed > 0) void load();
  }, [redeemed]);
  const exportCsv = async (): Promise<void> => {
    const list = await load();
    if (!list) return;
    const rows = list.map((g) => [g.position, g.participant.email, g.code, g.issuedAt, g.redeemedAt]);
    download(`event-${eventId}-winners.csv`, toCsv([['position', 'email', 'code', 'issuedAt', 'redeemedAt'], ...rows]));
  };
  return (
    <section aria-labelledby="winners-heading" class="panel">
      <h2 id="winners-heading">{t('winners')}</h2>
      <p class="row">
        <button type="button" disabled={busy} onClick={() => void load()}>
          {t('loadWinners')}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() => void exportCsv()}>
          {t('exportCsv')}
        </button>
      </p>
      <ErrorMessage error={error} />
      {gifts && gifts.length === 0 && <p>{t('noWinners')}</p>}
      {gifts && gifts.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('position')}</th>
              <th scope="col">{t('participant')}</th>
              <th scope="col">{t('codeLabel')}</th>
              <th scope="col">{t('issuedAt')}</th>
              <th scope="col">{t('redeemedAt')}</th>
            </tr>
          </thead>
          <tbody>
            {gifts.map((g) => (
              <tr key={g.code}>
                <td>{g.position}</td>
                <td>{g.participant.email}</td>
                <td>
                  <code>{g.code}</code>
                </td>
                <td>{date(g.issuedAt)}</td>
                <td>{g.redeemedAt ? date(g.redeemedAt) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function Redeem({ token, onRedeemed }: { token: string; onRedeemed(): void }) {
  const { t } = useI18n();
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [redeemed, setRedeemed] = useState<Gift>();
  const [error, setError] = useState<unknown>();
  const submit = async (): Promise<void> => {
    setBusy(true);
    setRedeemed(undefined);
    setError(undefined);
    try {
      const data = await request<{ redeemGift: Gift }>(REDEEM, { code: code.trim() }, token);
      setRedeemed(data.redeemGift);
      onRedeemed();
    } catch (err) {
      setError(err instanceof ApiError && err.code === 'NOT_FOUND' ? new PageError('unknownCode') : err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      class="panel"
      aria-labelledby="redeem-heading"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2 id="redeem-heading">{t('redeemTitle')}</h2>
      <label for="redeem-code">{t('codeLabel')}</label>
      <p class="row">
        <input id="redeem-code" required autocomplete="off" value={code} onInput={(e) => setCode(e.currentTarget.value)} />
        <button type="submit" disabled={busy}>
          {t('redeem')}
        </button>
      </p>
      <p role="status" class="ok">
        {redeemed ? t('redeemedOk', { code: redeemed.code, email: redeemed.participant.email }) : ''}
      </p>
      <ErrorMessage error={error} />
    </form>
  );
}
