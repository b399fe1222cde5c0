import { eventKeys, type StockScripts } from '@fcfs/stock';
import type { Logger } from 'pino';

export interface UndoItem {
  participantId: string;
  position: number;
}

export interface UndoQueueDeps {
  scripts: StockScripts;
  prefix: string;
  logger: Logger;
}

/**
 * Undoes admissions whose produce failed (undo.lua), so no PENDING is left that no consumer will see.
 * An undo that fails too (Redis down as well) is kept and retried before each later batch until it succeeds.
 */
export function createUndoQueue({ scripts, prefix, logger }: UndoQueueDeps) {
  const later = new Map<string, UndoItem[]>();

  const undo = async (eventId: string, items: UndoItem[]): Promise<void> => {
    if (items.length === 0) return;
    try {
      await scripts.undo(eventKeys(prefix, eventId), items);
    } catch (err) {
      logger.error({ err, eventId, count: items.length }, 'could not undo admissions after a failed produce; will retry');
      later.set(eventId, [...(later.get(eventId) ?? []), ...items]);
    }
  };

  return {
    undo,
    /** Retries the undos that failed before; call before a batch admits anything. */
    async retry(): Promise<void> {
      if (later.size === 0) return;
      const due = [...later];
      later.clear();
      await Promise.all(due.map(([eventId, items]) => undo(eventId, items)));
    },
  };
}

export type UndoQueue = ReturnType<typeof createUndoQueue>;
