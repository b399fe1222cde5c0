import { ApplicationStatus, type Application, type Decision } from '@fcfs/proto';

/**
 * One participant's application as Redis stores it: `<status>|<position>|<applied at>|<decided at>|<gift code>`,
 * status P (pending), I (issued), S (sold out) or W (in the waiting room: position 0 until the draw). The Lua scripts build and read the same form (helpers.lua).
 */
export interface StoredApplication {
  status: ApplicationStatus;
  position: number;
  appliedAtMs: number;
  decidedAtMs: number | undefined;
  giftCode: string | undefined;
}

const STATUS_OF: Record<string, ApplicationStatus> = {
  P: ApplicationStatus.APPLICATION_STATUS_PENDING,
  I: ApplicationStatus.APPLICATION_STATUS_ISSUED,
  S: ApplicationStatus.APPLICATION_STATUS_SOLD_OUT,
  W: ApplicationStatus.APPLICATION_STATUS_WAITING,
};

const LETTER_OF: Partial<Record<ApplicationStatus, string>> = {
  [ApplicationStatus.APPLICATION_STATUS_PENDING]: 'P',
  [ApplicationStatus.APPLICATION_STATUS_ISSUED]: 'I',
  [ApplicationStatus.APPLICATION_STATUS_SOLD_OUT]: 'S',
  [ApplicationStatus.APPLICATION_STATUS_WAITING]: 'W',
};

export function parseEntry(entry: string): StoredApplication {
  const [letter = '', position = '', applied = '', decided = '', code = ''] = entry.split('|');
  const status = STATUS_OF[letter];
  if (status === undefined) throw new Error(`not a stored application: ${JSON.stringify(entry.slice(0, 40))}`);
  return {
    status,
    position: Number(position),
    appliedAtMs: Number(applied),
    decidedAtMs: decided === '' ? undefined : Number(decided),
    giftCode: code === '' ? undefined : code,
  };
}

export function formatEntry(app: StoredApplication): string {
  const letter = LETTER_OF[app.status];
  if (letter === undefined) throw new Error(`cannot store status ${app.status}`);
  return `${letter}|${app.position}|${app.appliedAtMs}|${app.decidedAtMs ?? ''}|${app.giftCode ?? ''}`;
}

export function toApplication(eventId: string, participantId: string, app: StoredApplication, ahead?: number): Application {
  return {
    eventId,
    participantId,
    status: app.status,
    position: app.position,
    ahead: app.status === ApplicationStatus.APPLICATION_STATUS_PENDING ? ahead : undefined,
    appliedAtMs: app.appliedAtMs,
    decidedAtMs: app.decidedAtMs,
    giftCode: app.giftCode,
  };
}

export function toDecision(eventId: string, participantId: string, app: StoredApplication): Decision {
  return {
    eventId,
    participantId,
    status: app.status,
    position: app.position,
    giftCode: app.giftCode,
    decidedAtMs: app.decidedAtMs ?? 0,
    appliedAtMs: app.appliedAtMs,
  };
}
