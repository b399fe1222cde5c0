import { Partitioners, type Admin, type PartitionMetadata } from 'kafkajs';

export interface Offsets {
  /** High watermark per partition. */
  ends: number[];
  /** The group's committed offset per partition; a partition never committed counts from its low offset. */
  committed: number[];
}

/** The end offsets, then (strictly after) the issuer group's committed offsets: the order the rule needs. */
export async function readOffsets(admin: Admin, topic: string, groupId: string): Promise<Offsets> {
  const topicOffsets = await admin.fetchTopicOffsets(topic);
  const [group] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const done = new Map<number, number>();
  for (const p of group?.partitions ?? []) done.set(p.partition, Number(p.offset));
  const ends: number[] = [];
  const committed: number[] = [];
  for (const p of topicOffsets) {
    ends[p.partition] = Number(p.high);
    const at = done.get(p.partition) ?? -1;
    // The issuer subscribes from the beginning: without a commit it starts at the low offset.
    committed[p.partition] = at < 0 ? Number(p.low) : at;
  }
  return { ends, committed };
}

const choosePartition = Partitioners.DefaultPartitioner();

/** The partition the event service's producer writes an event's records to (the key is the event id). */
export function partitionOf(topic: string, eventId: string, partitions: number): number {
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
  }));
  return choosePartition({ topic, partitionMetadata, message: { key: eventId, value: null } });
}

/** An event's partition: its end offset and the issuer group's committed offset, read now. */
export function createPartitionOffsets(admin: Admin, topic: string, groupId: string) {
  return async (eventId: string): Promise<{ end: number; committed: number }> => {
    const { ends, committed } = await readOffsets(admin, topic, groupId);
    if (ends.length === 0) return { end: 0, committed: 0 };
    const p = partitionOf(topic, eventId, ends.length);
    return { end: ends[p] ?? 0, committed: committed[p] ?? 0 };
  };
}
