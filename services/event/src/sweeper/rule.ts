/**
 * When a PENDING application may be swept: the rule, as plain functions over plain data.
 *
 * An entry is P from the gate's admit until the issuer decides it. The event service produces its record
 * right after the admit and answers once the broker acknowledged it; a produce that certainly wrote nothing
 * is undone on the spot. A process that died in between (crash, OOM, kill -9), or a produce given up without
 * knowing whether it landed (gate/produce.ts), leaves a P entry whose record may never have reached Kafka:
 * then no consumer will ever decide it. Such an orphan is swept (removed and released) when
 *
 *   1. it is older than the grace period at some moment T (`appliedAt <= T - grace`), and
 *   2. the end offset E of the event's partition was read at T (or after), and
 *   3. the issuer's group has since committed that partition up to E (committed C, read after E, C >= E),
 *   4. and, atomically in sweep.lua, it is still P at the position it had when chosen.
 *
 * Why a record that reached Kafka is never swept: a produce ends (acknowledged, or given up) well within
 * the grace period (GATE_PRODUCE_TIMEOUT_MS, then at most one last attempt of two 10 s requests), so the record
 * of an admission older than the grace at T, if it was ever written, sits below the end offset E read at
 * T. The issuer commits a batch only after deciding it in Redis and writing it to MySQL; C >= E therefore
 * means that record was decided (the entry is I or S, not P, and sweep.lua leaves it) or dead-lettered
 * (never to be decided: sweeping it is right). What is still P after that has no record below E and,
 * being older than the grace, none above it either: an orphan.
 *
 * The issuer's watermark `through` is NOT used: it passes a position as soon as a later one is decided,
 * and with several event-service replicas records land out of position order, so an earlier position may
 * still wait unconsumed in the topic behind a paused issuer. The offsets say what was consumed.
 *
 * Two snapshots of the end offsets are tried, this pass's and the previous pass's: on an idle line the
 * issuer is at the end right away; on a busy one it rarely is, but it passes the previous pass's end
 * within one interval, so orphans are swept during a rush too.
 *
 * What the grace also has to cover: the clock difference between the replica that admitted (`appliedAt`)
 * and the sweeper, and the time from the admit to the produce (one gate call, or a rebuild from MySQL).
 * Should a record still land after its entry was swept (the assumption broken), the issuer's decide.lua
 * decides it as it decides one whose failed produce was undone yet reached the broker: the stock check
 * (`issued < stock`) keeps issued <= stock, the remembered entry (if the participant applied again) or
 * MySQL's unique (event, participant) keys keep it to one gift per participant.
 */

/** The end offsets of the topic's partitions, read at `at` (ms). */
export interface EndsSnapshot {
  at: number;
  ends: readonly number[];
}

/**
 * The oldest `appliedAt` that may be swept in this partition given the committed offsets (read after every
 * snapshot), or undefined when the issuer has not consumed far enough for any snapshot.
 */
export function sweepableBefore(
  partition: number,
  committed: readonly number[],
  snapshots: readonly EndsSnapshot[],
  graceMs: number,
): number | undefined {
  const done = committed[partition];
  if (done === undefined) return undefined;
  let limit: number | undefined;
  for (const s of snapshots) {
    // A snapshot of another partition count (the topic grew) says nothing about this partition.
    if (s.ends.length !== committed.length) continue;
    const end = s.ends[partition];
    if (end === undefined || done < end) continue;
    const before = s.at - graceMs;
    if (limit === undefined || before > limit) limit = before;
  }
  return limit;
}

/** A stored entry, if it is PENDING and applied at or before `limit`: its position. */
export function orphanPosition(entry: string, limit: number): number | undefined {
  if (!entry.startsWith('P|')) return undefined;
  const [, position = '', applied = ''] = entry.split('|', 3);
  const pos = Number(position);
  const at = Number(applied);
  if (!Number.isSafeInteger(pos) || applied === '' || !Number.isFinite(at)) return undefined;
  return at <= limit ? pos : undefined;
}
