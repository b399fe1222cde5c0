import { Partitioners, type Admin, type PartitionMetadata } from 'kafkajs';

export interface LagReader {
  /** Records of the event's partition not yet consumed by the issuer's group (cached ~1 s). */
  lagOf(eventId: string): Promise<number>;
}

const choosePartition = Partitioners.DefaultPartitioner();

/**
 * The issuer's lag for one event: one event is one key, so one partition; its end offset less the
 * group's committed offset. Cached for a second: the BFF polls stats a few times a second.
 */
export function createLagReader(admin: Admin, topic: string, groupId: string, cacheMs = 1_000): LagReader {
  let cached: { at: number; lags: number[] } | undefined;
  let loading: Promise<number[]> | undefined;

  const load = async (): Promise<number[]> => {
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const done = new Map<number, number>();
    for (const p of committed[0]?.partitions ?? []) done.set(p.partition, Number(p.offset));
    const lags: number[] = [];
    for (const p of ends) {
      const end = Number(p.high);
      const at = done.get(p.partition) ?? -1;
      lags[p.partition] = Math.max(0, end - (at < 0 ? Number(p.low) : at));
    }
    return lags;
  };

  return {
    async lagOf(eventId) {
      if (cached === undefined || Date.now() - cached.at > cacheMs) {
        loading ??= load().finally(() => {
          loading = undefined;
        });
        cached = { at: Date.now(), lags: await loading };
      }
      const partitionMetadata: PartitionMetadata[] = cached.lags.map((_, partitionId) => ({
        partitionId,
        leader: 0,
        replicas: [0],
        isr: [0],
        partitionErrorCode: 0,
      }));
      if (partitionMetadata.length === 0) return 0;
      const partition = choosePartition({ topic, partitionMetadata, message: { key: eventId, value: null } });
      return cached.lags[partition] ?? 0;
    },
  };
}
