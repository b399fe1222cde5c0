import { isId } from '@fcfs/kit';
import { decodeRecord } from '@fcfs/stock';
import { ApplicationRecord, DeadLetter } from '@fcfs/proto';
import { Partitioners } from 'kafkajs';
import type { OpsContext, Output } from './context';
import { markReplayed, partitionStates, readRanges, type PartitionState, type ReadMessage } from './dlq-topic';

/** One dead letter, where it sits on the dead-letter topic, and the application inside it when it decodes. */
export interface DeadLetterEntry {
  partition: number;
  offset: string;
  letter: DeadLetter;
  replayed: boolean;
  application: ApplicationRecord | undefined;
}

function entryOf(read: ReadMessage, state: PartitionState | undefined): DeadLetterEntry {
  const letter = DeadLetter.decode(read.message.value ?? Buffer.alloc(0));
  let application: ApplicationRecord | undefined;
  try {
    application = ApplicationRecord.decode(letter.value);
  } catch {
    application = undefined;
  }
  const replayed = state !== undefined && read.offset < state.replayedUpTo;
  return { partition: read.partition, offset: String(read.offset), letter, replayed, application };
}

function describeLetter(e: DeadLetterEntry): string {
  const at = new Date(Number(e.letter.failedAtMs)).toISOString();
  const app = e.application;
  const what =
    app === undefined || !isId(app.eventId)
      ? `(not an application record, ${e.letter.value.length} bytes)`
      : `event=${app.eventId} participant=${app.participantId} position=${app.position}`;
  const from = `from ${e.letter.topic}/${e.letter.partition}@${e.letter.offset}`;
  return `${e.partition}:${e.offset}  ${at}  ${what}  ${from}  reason: ${e.letter.reason}${e.replayed ? '  [replayed]' : ''}`;
}

export interface DlqListResult {
  total: number;
  waiting: number;
  shown: DeadLetterEntry[];
}

/** The dead letters not yet replayed (or all of them), oldest first per partition, at most `limit`. */
export async function listDeadLetters(
  ctx: OpsContext,
  { limit, all }: { limit: number; all: boolean },
  output: Output,
): Promise<DlqListResult> {
  const { dlqTopic } = ctx.config.kafka;
  const states = await partitionStates(ctx.kafka(), dlqTopic, ctx.config.ops.dlqGroup);
  const ranges = states.map((s) => {
    const from = all ? s.low : s.replayedUpTo;
    return { partition: s.partition, from, to: s.high < from + BigInt(limit) ? s.high : from + BigInt(limit) };
  });
  const byPartition = new Map(states.map((s) => [s.partition, s]));
  const read = await readRanges(ctx.kafka(), dlqTopic, ranges);
  const shown = read.map((r) => entryOf(r, byPartition.get(r.partition))).slice(0, limit);
  const total = states.reduce((n, s) => n + Number(s.high - s.low), 0);
  const waiting = states.reduce((n, s) => n + Number(s.high - s.replayedUpTo), 0);
  for (const e of shown) output.out(describeLetter(e));
  output.err(
    `${dlqTopic}: ${total} dead letters, ${waiting} not replayed (group ${ctx.config.ops.dlqGroup}); showing ${shown.length}`,
  );
  return { total, waiting, shown };
}

export type ReplayTarget = 'all' | { offset: string; partition: number | undefined };

/** The ranges a replay reads: everything not yet replayed, or the one dead letter asked for. */
function replayRanges(states: PartitionState[], target: ReplayTarget) {
  if (target === 'all') return states.map((s) => ({ partition: s.partition, from: s.replayedUpTo, to: s.high }));
  if (target.partition === undefined && states.length > 1) {
    throw new Error(`the dead-letter topic has ${states.length} partitions: say which with --partition`);
  }
  const partition = target.partition ?? 0;
  const state = states.find((s) => s.partition === partition);
  if (state === undefined) throw new Error(`the dead-letter topic has no partition ${partition}`);
  const offset = BigInt(target.offset);
  if (offset < state.low || offset >= state.high) {
    const held = state.low === state.high ? 'nothing' : `offsets ${state.low} to ${state.high - 1n}`;
    throw new Error(`no dead letter at ${partition}:${offset} (partition ${partition} holds ${held})`);
  }
  return [{ partition, from: offset, to: offset + 1n }];
}

/** Why a dead letter is not worth putting back, or undefined when it is. */
function unreplayable(e: DeadLetterEntry): string | undefined {
  if (e.application === undefined || !isId(e.application.eventId)) return 'not an application record';
  const decoded = decodeRecord(Buffer.from(e.application.eventId), Buffer.from(e.letter.value));
  return decoded.ok ? undefined : decoded.reason;
}

export interface ReplayResult {
  replayed: DeadLetterEntry[];
  skipped: { entry: DeadLetterEntry; reason: string }[];
}

/**
 * Puts dead letters back on the applications topic, keyed by their event id (as the gate keys them, so one
 * event stays one ordered stream; a letter dead-lettered for a wrong key is put right), then remembers
 * how far it got. A record that would only be dead-lettered again (it does not decode or fails the
 * issuer's checks) is skipped. Replaying an application that was decided already is harmless: the issuer
 * finds its decision in Redis (or MySQL after a rebuild) and answers the same. Produce first, mark after:
 * a crash in between replays those records again, which is harmless for the same reason.
 */
export async function replayDeadLetters(
  ctx: OpsContext,
  { target, dryRun }: { target: ReplayTarget; dryRun: boolean },
  output: Output,
): Promise<ReplayResult> {
  const { dlqTopic, applicationsTopic } = ctx.config.kafka;
  const { dlqGroup } = ctx.config.ops;
  const kafka = ctx.kafka();
  const states = await partitionStates(kafka, dlqTopic, dlqGroup);
  const ranges = replayRanges(states, target);
  const byPartition = new Map(states.map((s) => [s.partition, s]));
  const entries = (await readRanges(kafka, dlqTopic, ranges)).map((r) => entryOf(r, byPartition.get(r.partition)));
  const result: ReplayResult = { replayed: [], skipped: [] };
  for (const entry of entries) {
    const reason = unreplayable(entry);
    if (reason === undefined) result.replayed.push(entry);
    else result.skipped.push({ entry, reason });
  }
  const verb = dryRun ? 'would replay' : 'replayed';
  for (const e of result.replayed) output.out(`${verb} ${describeLetter(e)}`);
  for (const { entry, reason } of result.skipped)
    output.out(`skipped ${entry.partition}:${entry.offset}: ${reason} (it would only be dead-lettered again)`);
  if (dryRun) {
    output.err(
      `dry run: ${result.replayed.length} to replay onto ${applicationsTopic}, ${result.skipped.length} to skip; nothing sent`,
    );
    return result;
  }
  await produce(ctx, result.replayed);
  // A single offset moves the mark only when it is the next one: marking past it would skip the letters before.
  const marks = ranges
    .filter((r) => target === 'all' || r.from === byPartition.get(r.partition)?.replayedUpTo)
    .map((r) => ({ partition: r.partition, next: r.to }));
  await markReplayed(kafka, dlqTopic, dlqGroup, marks);
  const again = entries.filter((e) => e.replayed).length;
  output.err(
    `${result.replayed.length} replayed onto ${applicationsTopic}, ${result.skipped.length} skipped` +
      (again > 0 ? `; ${again} had been replayed before (harmless: the issuer remembers its decisions)` : ''),
  );
  return result;
}

async function produce(ctx: OpsContext, entries: DeadLetterEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const { dlqTopic, applicationsTopic } = ctx.config.kafka;
  const producer = ctx
    .kafka()
    .producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({
      topic: applicationsTopic,
      acks: -1,
      messages: entries.map((e) => ({
        key: e.application?.eventId ?? '',
        value: Buffer.from(e.letter.value),
        headers: { 'fcfs-replayed-from': `${dlqTopic}/${e.partition}@${e.offset}` },
      })),
    });
  } finally {
    await producer.disconnect();
  }
}
