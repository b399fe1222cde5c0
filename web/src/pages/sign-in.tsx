import { useRef, useState } from 'preact/hooks';
import { ApiError, isTransient, request, withRetry } from '../graphql';
import { navigate, useNow } from '../hooks';
import { useI18n } from '../i18n';
import { SEND_CODE, VERIFY_CODE } from '../operations';
import type { Session } from '../session';
import { ErrorMessage, PageError, PageTitle, useSession } from '../ui';

/** Six digits from whatever was pasted or typed ("123 456", "Code: 123456"). */
function digitsOf(text: string): string {
  return text.replace(/\D/g, '').slice(0, 6);
}

export function SignInPage({ next }: { next: string }) {
  const { t } = useI18n();
  const { setSession } = useSession();
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<{ email: string; minutes: number }>();
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [resendAt, setResendAt] = useState(0);
  const now = useNow(resendAt > Date.now());
  const codeInput = useRef<HTMLInputElement>(null);
  const cooldown = Math.ceil((resendAt - now) / 1000);

  const send = async (address: string): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      // A busy server is tried again; the send cooldown (RATE_LIMITED) is shown instead.
      const data = await withRetry(
        () => request<{ sendVerificationCode: { expiresInSeconds: number } }>(SEND_CODE, { email: address }),
        { retryable: (err): err is ApiError => isTransient(err) && err.code !== 'RATE_LIMITED', maxAttempts: 4 },
      );
      setSentTo({ email: address, minutes: Math.round(data.sendVerificationCode.expiresInSeconds / 60) });
      setTimeout(() => codeInput.current?.focus(), 0);
    } catch (err) {
      // The send cooldown arrives as RATE_LIMITED: show it and keep the button off until then.
      if (err instanceof ApiError && err.code === 'RATE_LIMITED' && err.retryAfterSeconds) {
        setResendAt(Date.now() + err.retryAfterSeconds * 1000);
        if (!sentTo) setSentTo({ email: address, minutes: 5 });
      } else setError(err instanceof ApiError && err.code === 'BAD_USER_INPUT' ? new PageError('badEmail') : err);
    } finally {
      setBusy(false);
    }
  };

  const verify = async (value: string): Promise<void> => {
    if (!sentTo || value.length !== 6 || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const data = await withRetry(() => request<{ verifyCode: Session }>(VERIFY_CODE, { email: sentTo.email, code: value }));
      setSession(data.verifyCode);
      navigate(next.startsWith('/') && !next.startsWith('/signin') ? next : '/');
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <section class="narrow">
      <PageTitle>{t('signInTitle')}</PageTitle>
      {!sentTo ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void send(email.trim());
          }}
        >
          <p>{t('signInIntro')}</p>
          <label for="email">{t('email')}</label>
          <input
            id="email"
            type="email"
            autocomplete="email"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
          <button type="submit" disabled={busy}>
            {busy ? t('sending') : t('sendCode')}
          </button>
        </form>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void verify(code);
          }}
        >
          <p role="status">{t('codeSent', { email: sentTo.email, minutes: sentTo.minutes })}</p>
          <label for="code">{t('code')}</label>
          <input
            id="code"
            ref={codeInput}
            inputMode="numeric"
            autocomplete="one-time-code"
            aria-describedby="code-hint"
            value={code}
            onInput={(e) => {
              const digits = digitsOf(e.currentTarget.value);
              e.currentTarget.value = digits;
              setCode(digits);
            }}
            onPaste={(e) => {
              const digits = digitsOf(e.clipboardData?.getData('text') ?? '');
              if (digits.length !== 6) return;
              e.preventDefault();
              setCode(digits);
              void verify(digits);
            }}
          />
          <p id="code-hint" class="muted">
            {t('codeHint')}
          </p>
          <button type="submit" disabled={busy || code.length !== 6}>
            {busy ? t('verifying') : t('verify')}
          </button>
          <p class="row">
            <button type="button" class="secondary" disabled={busy || cooldown > 0} onClick={() => void send(sentTo.email)}>
              {t('resend')}
            </button>
            <button type="button" class="link" onClick={() => (setSentTo(undefined), setCode(''), setError(undefined))}>
              {t('changeEmail')}
            </button>
          </p>
          {cooldown > 0 && (
            <p class="muted" aria-live="polite">
              {t('resendIn', { seconds: cooldown })}
            </p>
          )}
        </form>
      )}
      <ErrorMessage error={error} />
    </section>
  );
}
