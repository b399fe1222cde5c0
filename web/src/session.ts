export interface Participant {
  id: string;
  email: string;
  isAdmin: boolean;
}

export interface Session {
  token: string;
  expiresAt: string;
  participant: Participant;
}

const KEY = 'fcfs.session';

/** The stored session, unless it has expired (or was never there). */
export function loadSession(): Session | undefined {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return undefined;
    const session = JSON.parse(raw) as Session;
    if (!session.token || Date.parse(session.expiresAt) <= Date.now()) {
      localStorage.removeItem(KEY);
      return undefined;
    }
    return session;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
}
