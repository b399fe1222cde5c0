import { randomBytes } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

/** One partition of the dead-letter topic: what it holds, and how far the tool has replayed it. */
export interface PartitionState {
  partition: number;
  /** The first offset still on the topic (retention deletes older ones) and the next one to be written. */
  low: bigint;
  high: bigint;
  /** The group's next offset to replay; `low` when it never replayed anything (or retention passed it). */
  replayedUpTo: bigint;
}

export interface ReadRange {
  partition: number;
  from: bigint;
  to: bigint;
}

export interface ReadMessage {
  partition: number;
  offset: bigint;
  message: KafkaMessage;
}

async function withAdmin<T>(kafka: Kafka, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

export function partitionStates(kafka: Kafka, topic: string, groupId: string): Promise<PartitionState[]> {
  return withAdmin(kafka, async (admin) => {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) throw new Error(`the dead-letter topic "${topic}" does not exist (KAFKA_DLQ_TOPIC)`);
    const [offsets, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const byPartition = new Map(committed?.partitions.map((p) => [p.partition, BigInt(p.offset)]));
    return offsets
      .map((o) => {
        const low = BigInt(o.low);
        const mark = byPartition.get(o.partition) ?? -1n;
        return { partition: o.partition, low, high: BigInt(o.high), replayedUpTo: mark < low ? low : mark };
      })
      .sort((a, b) => a.partition - b.partition);
  });
}

/** Records the next offset to replay per partition, as the group's committed offsets (it has no members). */
export function markReplayed(kafka: Kafka, topic: string, groupId: string, marks: { partition: number; next: bigint }[]) {
  if (marks.length === 0) return Promise.resolve();
  return withAdmin(kafka, (admin) =>
    admin.setOffsets({ groupId, topic, partitions: marks.map((m) => ({ partition: m.partition, offset: String(m.next) })) }),
  );
}

/**
 * Reads the records in `ranges` (each [from, to)) and stops. A throwaway group that never commits: the
 * tool's own group only ever holds the replayed marks, and a reader must not move them.
 */
export async function readRanges(kafka: Kafka, topic: string, ranges: ReadRange[], timeoutMs = 60_000): Promise<ReadMessage[]> {
  const open = new Map(ranges.filter((r) => r.from < r.to).map((r) => [r.partition, r]));
  if (open.size === 0) return [];
  const wanted = [...open.values()];
  // Keyed by position: the records before the seek may arrive too, and twice.
  const read = new Map<string, ReadMessage>();
  const consumer = kafka.consumer({ groupId: `ops-reader-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 500 });
  let finish = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let timer: NodeJS.Timeout | undefined;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = open.get(batch.partition);
        if (range === undefined) return;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset >= range.from && offset < range.to)
            read.set(`${batch.partition}:${offset}`, { partition: batch.partition, offset, message });
        }
        if (BigInt(batch.lastOffset()) >= range.to - 1n) open.delete(batch.partition);
        if (open.size === 0) finish();
      },
    });
    for (const r of wanted) consumer.seek({ topic, partition: r.partition, offset: String(r.from) });
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`could not read ${topic} within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    await Promise.race([finished, timedOut]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return [...read.values()].sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
}
