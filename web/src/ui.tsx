import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useContext, useEffect, useRef } from 'preact/hooks';
import { ApiError } from './graphql';
import type { Load } from './hooks';
import { useI18n, type Translate } from './i18n';
import { en, type MessageKey } from './messages';
import type { EventStatus } from './operations';
import type { Session } from './session';

export interface SessionState {
  session: Session | undefined;
  setSession(session: Session | undefined): void;
}

export const SessionContext = createContext<SessionState>({ session: undefined, setSession: () => undefined });

export function useSession(): SessionState {
  return useContext(SessionContext);
}

/** A problem the page itself names; translated when shown, so a language switch changes it too. */
export class PageError extends Error {
  constructor(readonly key: MessageKey) {
    super(key);
  }
}

/** The message for an error in the reader's language; the server's own words when we have none. */
export function errorText(t: Translate, err: unknown): string {
  if (err instanceof PageError) return t(err.key);
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
  const key = `err_${err.code}`;
  return key in en ? t(key as MessageKey) : err.message;
}

/** A page's heading, focused when the page changes so a screen reader starts there. */
export function PageTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

export function StatusBadge({ status }: { status: EventStatus }) {
  const { t } = useI18n();
  return <span class={`badge badge-${status.toLowerCase()}`}>{t(`status_${status}`)}</span>;
}

/** Loading (with the backoff wait, if any), a failure with a retry button, or `children(data)`. */
export function LoadView<T>({
  load,
  reload,
  children,
}: {
  load: Load<T>;
  reload: () => void;
  children: (data: T) => ComponentChildren;
}) {
  const { t } = useI18n();
  if (load.state === 'loading') {
    return (
      <p role="status" class="muted">
        {load.waitSeconds === undefined ? t('loading') : t('retryingIn', { seconds: load.waitSeconds })}
      </p>
    );
  }
  if (load.state === 'failed') {
    return (
      <div role="alert" class="error">
        <p>{t('loadFailed', { message: errorText(t, load.error) })}</p>
        <button type="button" onClick={reload}>
          {t('tryAgain')}
        </button>
      </div>
    );
  }
  return <>{children(load.data)}</>;
}

export function ErrorMessage({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (error === undefined) return null;
  return (
    <p role="alert" class="error">
      {errorText(t, error)}
    </p>
  );
}
