import { useEffect, useMemo, useState } from 'preact/hooks';
import { onSessionEnded } from './graphql';
import { navigate, useRoute } from './hooks';
import { I18nContext, LANGS, initialLang, rememberLang, translator, useI18n, type I18n, type Lang } from './i18n';
import { EventPage } from './pages/event';
import { EventsPage } from './pages/events';
import { OrganiserEventPage } from './pages/organiser-event';
import { OrganiserPage } from './pages/organiser';
import { SignInPage } from './pages/sign-in';
import { loadSession, saveSession, type Session } from './session';
import { SessionContext, useSession } from './ui';

function Page({ route }: { route: string }) {
  const [path = '/', query = ''] = route.split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'signin') return <SignInPage next={params.get('next') ?? '/'} />;
  if (parts[0] === 'events' && parts[1]) return <EventPage key={parts[1]} eventId={parts[1]} />;
  if (parts[0] === 'organiser' && parts[1]) return <OrganiserEventPage key={parts[1]} eventId={parts[1]} />;
  if (parts[0] === 'organiser') return <OrganiserPage />;
  return <EventsPage />;
}

function Header({ route }: { route: string }) {
  const { t, lang, setLang } = useI18n();
  const { session, setSession } = useSession();
  const signOut = (): void => {
    setSession(undefined);
    navigate('/');
  };
  return (
    <header class="top">
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        {t('skipToContent')}
      </a>
      <nav aria-label="fcfs">
        <a href="#/" class="brand" aria-current={route === '/' ? 'page' : undefined}>
          {t('appName')}
        </a>
        <a href="#/" aria-current={route === '/' ? 'page' : undefined}>
          {t('navEvents')}
        </a>
        {session?.participant.isAdmin && (
          <a href="#/organiser" aria-current={route.startsWith('/organiser') ? 'page' : undefined}>
            {t('navOrganiser')}
          </a>
        )}
      </nav>
      <div class="who">
        {session ? (
          <>
            <span class="muted">{t('signedInAs', { email: session.participant.email })}</span>
            <button type="button" class="link" onClick={signOut}>
              {t('signOut')}
            </button>
          </>
        ) : (
          !route.startsWith('/signin') && <a href={`#/signin?next=${encodeURIComponent(route)}`}>{t('signIn')}</a>
        )}
        <label class="lang">
          <span class="visually-hidden">{t('language')}</span>
          <select value={lang} onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value as Lang)}>
            {LANGS.map((l) => (
              <option key={l} value={l} lang={l}>
                {l === 'en' ? 'English' : '한국어'}
              </option>
            ))}
          </select>
        </label>
      </div>
    </header>
  );
}

export function App() {
  const route = useRoute();
  const [lang, setLangState] = useState<Lang>(initialLang);
  const [session, setSessionState] = useState<Session | undefined>(loadSession);
  useEffect(() => rememberLang(lang), [lang]);
  useEffect(
    () =>
      onSessionEnded(() => {
        saveSession(undefined);
        setSessionState(undefined);
      }),
    [],
  );
  const i18n = useMemo<I18n>(() => {
    const format = new Intl.DateTimeFormat(lang === 'ko' ? 'ko-KR' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
    return { lang, t: translator(lang), setLang: setLangState, date: (iso) => format.format(new Date(iso)) };
  }, [lang]);
  const sessionState = useMemo(
    () => ({
      session,
      setSession: (next: Session | undefined) => {
        saveSession(next);
        setSessionState(next);
      },
    }),
    [session],
  );
  return (
    <I18nContext.Provider value={i18n}>
      <SessionContext.Provider value={sessionState}>
        <Header route={route} />
        <main id="main" tabIndex={-1}>
          <Page key={route.split('?')[0]} route={route} />
        </main>
      </SessionContext.Provider>
    </I18nContext.Provider>
  );
}
