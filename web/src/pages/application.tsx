import { useEffect, useRef, useState } from 'preact/hooks';
import { request, withRetry } from '../graphql';
import { useNow } from '../hooks';
import { formatDuration, useI18n } from '../i18n';
import { CLAIM, DECLINE, type Application } from '../operations';
import { FINAL, remainingSeconds } from '../status';
import { ErrorMessage } from '../ui';

function GiftCode({ code }: { code: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = async (): Promise<void> => {
    await navigator.clipboard.writeText(code).catch(() => undefined);
    setCopied(true);
    setTimeout(() => setCopied(false), 2_000);
  };
  return (
    <div class="gift">
      <span id="gift-label">{t('giftCode')}</span>
      <output class="code" aria-labelledby="gift-label">
        {code}
      </output>
      <button type="button" onClick={() => void copy()}>
        {copied ? t('copied') : t('copy')}
      </button>
    </div>
  );
}

function Offer({ application, token, onChange }: { application: Application; token: string; onChange(a: Application): void }) {
  const { t } = useI18n();
  const now = useNow(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const left = application.claimBy ? (Date.parse(application.claimBy) - now) / 1000 : 0;
  const act = async (query: string, field: 'claimGift' | 'declineGift'): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const data = await withRetry(() => request<Record<string, Application>>(query, { eventId: application.eventId }, token));
      const next = data[field];
      if (next) onChange(next);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      {application.claimBy && <p class="countdown">{t('claimBy', { time: formatDuration(left) })}</p>}
      <p class="row">
        <button type="button" disabled={busy} onClick={() => void act(CLAIM, 'claimGift')}>
          {t('claim')}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() => void act(DECLINE, 'declineGift')}>
          {t('decline')}
        </button>
      </p>
      <ErrorMessage error={error} />
    </div>
  );
}

/**
 * The participant's application as it changes. The sentence sits in a live region, so a screen
 * reader announces the result; focus moves to it when the status changes.
 */
export function ApplicationPanel({
  application,
  token,
  onChange,
}: {
  application: Application | undefined;
  token: string;
  onChange(a: Application): void;
}) {
  const { t } = useI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  const status = application?.status;
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (status) heading.current?.focus();
  }, [status]);
  const waitingInLine = status === 'PENDING' || status === 'WAITING' || status === 'WAITLISTED';
  // The estimate counts down from when it arrived, until a newer one comes.
  const estimate = application?.estimatedWaitSeconds ?? null;
  const [estimateAt, setEstimateAt] = useState(Date.now);
  useEffect(() => setEstimateAt(Date.now()), [estimate, status]);
  const now = useNow(waitingInLine && estimate !== null);
  const remaining = remainingSeconds(estimate, estimateAt, now);
  return (
    <section
      class={`panel ${status ? `app-${status.toLowerCase()}` : ''}`}
      aria-labelledby="status-heading"
      hidden={!application}
    >
      <h2 id="status-heading" ref={heading} tabIndex={-1}>
        {t('yourStatus')}
      </h2>
      <p role="status" aria-live="polite" aria-atomic="true" class="status-text" data-status={status ?? ''}>
        {status ? t(`app_${status}`) : ''}
      </p>
      {application && waitingInLine && (
        <dl class="facts">
          {application.status !== 'WAITING' && (
            <div>
              <dt>{t('position')}</dt>
              <dd data-testid="position">{application.position}</dd>
            </div>
          )}
          {application.ahead !== null && (
            <div>
              <dt>{t('ahead')}</dt>
              <dd>{application.ahead}</dd>
            </div>
          )}
          {remaining !== null && (
            <div>
              <dt>{t('estimatedWait')}</dt>
              <dd>{t('aboutSeconds', { time: formatDuration(remaining) })}</dd>
            </div>
          )}
        </dl>
      )}
      {application && FINAL.has(application.status) && application.status !== 'ISSUED' && (
        <p class="muted">
          {t('position')}: {application.position}
        </p>
      )}
      {application?.status === 'ISSUED' && application.giftCode && <GiftCode code={application.giftCode} />}
      {application?.status === 'OFFERED' && <Offer application={application} token={token} onChange={onChange} />}
    </section>
  );
}
