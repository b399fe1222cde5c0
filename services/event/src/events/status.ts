import { EventStatus } from '@fcfs/proto';

export interface StatusInputs {
  /** As MySQL stores it: DRAFT, SCHEDULED, OPEN or CLOSED. */
  stored: string;
  opensAtMs: number | undefined;
  closesAtMs: number | undefined;
  /** From the hot state, when Redis has it. */
  line: { stock: number; issued: number; pending: number } | undefined;
}

/**
 * The status users see. A scheduled event opens by itself at opensAt and any event closes by itself at
 * closesAt (the gate applies the same rule), so no timer has to flip a stored status. An open event is
 * SOLD_OUT once its stock is issued and nobody is left waiting in line.
 */
export function effectiveStatus({ stored, opensAtMs, closesAtMs, line }: StatusInputs, nowMs: number): EventStatus {
  if (stored === 'CLOSED' || (closesAtMs !== undefined && nowMs >= closesAtMs)) return EventStatus.EVENT_STATUS_CLOSED;
  const open = stored === 'OPEN' || (stored === 'SCHEDULED' && opensAtMs !== undefined && nowMs >= opensAtMs);
  if (!open) return stored === 'SCHEDULED' ? EventStatus.EVENT_STATUS_SCHEDULED : EventStatus.EVENT_STATUS_DRAFT;
  if (line !== undefined && line.stock - line.issued <= 0 && line.pending === 0) return EventStatus.EVENT_STATUS_SOLD_OUT;
  return EventStatus.EVENT_STATUS_OPEN;
}
