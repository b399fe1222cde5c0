import { ServiceError } from '@fcfs/kit';
import { eventKeys, type StockScripts } from '@fcfs/stock';
import type { Logger } from 'pino';
import type { Admitted } from '../gate/admit';
import type { DrawStore } from './draw-store';

export interface ConfirmDeps {
  store: Pick<DrawStore, 'recordWaiting'>;
  scripts: Pick<StockScripts, 'unwait'>;
  prefix: string;
  logger: Logger;
}

/** The answer to an apply held while the opening's draw is placed (a second or so). */
export const heldError = () =>
  ServiceError.unavailable("the event just opened and its waiting room's draw is being placed; retry in a moment");

/**
 * Makes every WAITING answer of a batch durable before it is given: one MySQL write per event (draw-store.ts,
 * fenced against the draw). When it fails, or the draw was made meanwhile (so these are not in it), nobody of them
 * is told WAITING (`unconfirmed`: answered UNAVAILABLE, safe to retry), and the entries this batch created are taken
 * back from Redis; a retry after the draw is admitted after the drawn participants.
 */
export async function confirmWaiting(
  deps: ConfirmDeps,
  shares: readonly { eventId: string; admitted: Admitted[] }[],
): Promise<void> {
  await Promise.all(
    shares.map(async ({ eventId, admitted }) => {
      const waiting = admitted.filter((a) => a.waiting !== undefined);
      if (waiting.length === 0) return;
      const list = waiting.map((a) => a.waiting as NonNullable<Admitted['waiting']>);
      let ok = false;
      try {
        ok = await deps.store.recordWaiting(eventId, list);
      } catch (err) {
        deps.logger.warn({ err, eventId }, 'could not record the waiting room; its applies answered UNAVAILABLE');
      }
      if (ok) return;
      for (const a of waiting) a.unconfirmed = true;
      const fresh = list.filter((w) => w.isNew).map((w) => w.participantId);
      await deps.scripts
        .unwait(eventKeys(deps.prefix, eventId), fresh)
        .catch((err: unknown) => deps.logger.warn({ err, eventId }, 'could not take back unconfirmed WAITING entries'));
    }),
  );
}
