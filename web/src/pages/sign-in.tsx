import { useEffect, useRef, useState } from 'preact/hooks';
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

interface Sent {
  email: string;
  minutes: number;
}

/** Sending a code: a busy server is tried again; the send cooldown (RATE_LIMITED) becomes `resendAt`. */
function useSendCode() {
  const [sent, setSent] = useState<Sent>();
  const [resendAt, setResendAt] = useState(0);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>();
  const send = async (address: string): Promise<void> => {
    setSending(true);
    setError(undefined);
    try {
      const data = await withRetry(
        () => request<{ sendVerificationCode: { expiresInSeconds: number } }>(SEND_CODE, { email: address }),
        { retryable: (err): err is ApiError => isTransient(err) && err.code !== 'RATE_LIMITED', maxAttempts: 4 },
      );
      setSent({ email: address, minutes: Math.round(data.sendVerificationCode.expiresInSeconds / 60) });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'RATE_LIMITED' && err.retryAfterSeconds) {
        setResendAt(Date.now() + err.retryAfterSeconds * 1000);
        setSent((shown) => shown ?? { email: address, minutes: 5 });
      } else setError(err instanceof ApiError && err.code === 'BAD_USER_INPUT' ? new PageError('badEmail') : err);
    } finally {
      setSending(false);
    }
  };
  return { sent, resendAt, sending, error, send, reset: () => (setSent(undefined), setError(undefined)) };
}

function EmailStep({ busy, onSend }: { busy: boolean; onSend(email: string): void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onSend(email.trim());
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
  );
}

interface CodeStepProps {
  sent: Sent;
  resendAt: number;
  sending: boolean;
  onResend(): void;
  onChangeEmail(): void;
  onSignedIn(session: Session): void;
}

/** The code field: typed, or pasted whole (then it signs in at once); the resend waits out the cooldown. */
function CodeStep({ sent, resendAt, sending, onResend, onChangeEmail, onSignedIn }: CodeStepProps) {
  const { t } = useI18n();
  const [code, setCode] = useState('');
  const [verifying, setVerifying] = useState(false);
  const [error, setError] = useState<unknown>();
  const input = useRef<HTMLInputElement>(null);
  const now = useNow(resendAt > Date.now());
  const cooldown = Math.ceil((resendAt - now) / 1000);
  useEffect(() => input.current?.focus(), []);
  const verify = async (value: string): Promise<void> => {
    if (value.length !== 6 || verifying) return;
    setVerifying(true);
    setError(undefined);
    try {
      const data = await withRetry(() => request<{ verifyCode: Session }>(VERIFY_CODE, { email: sent.email, code: value }));
      onSignedIn(data.verifyCode);
    } catch (err) {
      setError(err);
      setVerifying(false);
    }
  };
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void verify(code);
      }}
    >
      <p role="status">{t('codeSent', { email: sent.email, minutes: sent.minutes })}</p>
      <label for="code">{t('code')}</label>
      <input
        id="code"
        ref={input}
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
      <button type="submit" disabled={verifying || code.length !== 6}>
        {verifying ? t('verifying') : t('verify')}
      </button>
      <p class="row">
        <button type="button" class="secondary" disabled={sending || cooldown > 0} onClick={onResend}>
          {t('resend')}
        </button>
        <button type="button" class="link" onClick={onChangeEmail}>
          {t('changeEmail')}
        </button>
      </p>
      {cooldown > 0 && (
        <p class="muted" aria-live="polite">
          {t('resendIn', { seconds: cooldown })}
        </p>
      )}
      <ErrorMessage error={error} />
    </form>
  );
}

export function SignInPage({ next }: { next: string }) {
  const { t } = useI18n();
  const { setSession } = useSession();
  const { sent, resendAt, sending, error, send, reset } = useSendCode();
  const signedIn = (session: Session): void => {
    setSession(session);
    navigate(next.startsWith('/') && !next.startsWith('/signin') ? next : '/');
  };
  return (
    <section class="narrow">
      <PageTitle>{t('signInTitle')}</PageTitle>
      {sent ? (
        <CodeStep
          sent={sent}
          resendAt={resendAt}
          sending={sending}
          onResend={() => void send(sent.email)}
          onChangeEmail={reset}
          onSignedIn={signedIn}
        />
      ) : (
        <EmailStep busy={sending} onSend={(email) => void send(email)} />
      )}
      <ErrorMessage error={error} />
    </section>
  );
}
