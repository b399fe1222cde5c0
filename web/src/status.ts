import type { Application, ApplicationStatus } from './operations';

/** How far along an application is; a later answer never moves it back. */
const STAGE: Record<ApplicationStatus, number> = {
  WAITING: 0,
  PENDING: 1,
  WAITLISTED: 2,
  OFFERED: 3,
  ISSUED: 4,
  EXPIRED: 4,
  SOLD_OUT: 4,
};

export const FINAL: ReadonlySet<ApplicationStatus> = new Set(['ISSUED', 'EXPIRED', 'SOLD_OUT']);

/**
 * The application to show, given what is shown and a newer answer: the apply mutation's reply can
 * arrive after the subscription already told the result, and must not turn a win back into PENDING.
 */
export function mergeApplication(
  shown: Application | undefined,
  incoming: Application | null | undefined,
): Application | undefined {
  if (!incoming) return shown;
  if (!shown || shown.eventId !== incoming.eventId) return incoming;
  return STAGE[incoming.status] >= STAGE[shown.status] ? incoming : shown;
}

/** One CSV field: quoted when it holds a comma, quote or line break; a leading =+-@ is defused for spreadsheets. */
export function csvField(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/**
 * What is left of an estimated wait that arrived at `receivedAtMs`: it counts down on the page, since the platform
 * sends a new estimate only when it is news (more than the time that passed), not every second.
 */
export function remainingSeconds(estimate: number | null, receivedAtMs: number, nowMs: number): number | null {
  if (estimate === null) return null;
  return Math.max(0, estimate - Math.floor(Math.max(0, nowMs - receivedAtMs) / 1000));
}
