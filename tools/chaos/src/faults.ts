// The faults of the matrix. Each one is done and undone by `run` (a killed replica restarted, as
// Kubernetes restarts a pod; a stalled server continued), mid-herd, on the suite's private servers.
import { setTimeout as sleep } from 'node:timers/promises';
import { AssignerProtocol } from 'kafkajs';
import { Redis } from 'ioredis';
import type { Platform, Replica } from '../../../scripts/platform';
import type { PrivateServer } from '../../../infra/infra';
import type { PrivateInfra } from './private-infra';

export interface FaultContext {
  platform: Platform;
  infra: PrivateInfra;
  /** The issuers' consumer group. */
  group: string;
  /** Partitions of the applications topic that hold the round's records so far. */
  eventPartitions(): Promise<number[]>;
  log(line: string): void;
}

export interface Fault {
  name: string;
  /** One line for the table's legend. */
  what: string;
  run(ctx: FaultContext): Promise<void>;
}

/** How long a killed replica stays down before it is started again (a pod's restart). */
const RESTART_AFTER_MS = 2_000;
const STALL_MS = 8_000;

function replicaOf(platform: Platform, part: string): Replica {
  const replica = platform.replicas.find((r) => r.part === part);
  if (!replica) throw new Error(`no ${part} replica`);
  return replica;
}

/** The issuer replica that owns (one of) the round's partitions, from the group's description. */
export async function owningIssuer(ctx: FaultContext): Promise<Replica> {
  const issuers = ctx.platform.replicas.filter((r) => r.part === 'issuer');
  const partitions = await ctx.eventPartitions();
  const admin = ctx.infra.admin().admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([ctx.group]);
    for (const member of groups[0]?.members ?? []) {
      const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
      const owned = Object.values(assignment?.assignment ?? {}).flat();
      if (!owned.some((p) => partitions.includes(p))) continue;
      const pid = Number(/-(\d+)$/.exec(member.clientId)?.[1]);
      const replica = issuers.find((r) => r.pid() === pid);
      if (replica) return replica;
    }
  } finally {
    await admin.disconnect();
  }
  return replicaOf(ctx.platform, 'issuer');
}

async function killAndRestart(ctx: FaultContext, replica: Replica): Promise<void> {
  ctx.log(`chaos: SIGKILL ${replica.name} (pid ${replica.pid()})`);
  await replica.kill('SIGKILL');
  await sleep(RESTART_AFTER_MS);
  await replica.start();
}

const killOne = (part: string): Fault => ({
  name: `${part} SIGKILL`,
  what: `SIGKILL of one ${part} replica${part === 'issuer' ? ' (the one deciding the event)' : ''}, restarted ${RESTART_AFTER_MS / 1000} s later`,
  run: async (ctx) => killAndRestart(ctx, part === 'issuer' ? await owningIssuer(ctx) : replicaOf(ctx.platform, part)),
});

const stall = async (pid: number | null, ms: number) => {
  if (!pid) throw new Error('nothing to stall: the server is not running');
  process.kill(pid, 'SIGSTOP');
  try {
    await sleep(ms);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
};

/** A private server SIGKILLed, started again on its data `downMs` later. */
const crashAndRestart = (
  name: string,
  server: string,
  of: (infra: PrivateInfra) => PrivateServer,
  downMs: number,
  note = '',
): Fault => ({
  name,
  what: `${server} SIGKILLed, started again ${downMs / 1000} s later${note}`,
  async run(ctx) {
    await of(ctx.infra).kill();
    await sleep(downMs);
    await of(ctx.infra).start();
  },
});

const redisOf = (ctx: FaultContext) => new Redis(ctx.infra.redis.url, { maxRetriesPerRequest: 2 });

/** Every key with its value and time to live, as an RDB snapshot would keep them. */
async function snapshot(redis: Redis): Promise<{ key: string; ttl: number; dump: Buffer }[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.dumpBuffer(key).pttl(key);
  const replies = (await pipeline.exec()) ?? [];
  const out: { key: string; ttl: number; dump: Buffer }[] = [];
  keys.forEach((key, i) => {
    const dump = replies[2 * i]?.[1] as Buffer | null;
    const ttl = Number(replies[2 * i + 1]?.[1]);
    if (dump) out.push({ key, ttl: ttl > 0 ? ttl : 0, dump });
  });
  return out;
}

export const FAULTS: Fault[] = [
  killOne('issuer'),
  killOne('event'),
  killOne('bff'),
  killOne('auth'),
  crashAndRestart('broker restart', 'the Kafka broker', (infra) => infra.kafka, 5_000),
  {
    name: 'MySQL stall',
    what: `MariaDB stopped (SIGSTOP) for ${STALL_MS / 1000} s, then continued`,
    run: (ctx) => stall(ctx.infra.mysql.pid, STALL_MS),
  },
  crashAndRestart('MySQL restart', 'MariaDB', (infra) => infra.mysql, 3_000, ' (crash recovery)'),
  {
    name: 'Redis FLUSHALL',
    what: 'FLUSHALL on the Redis every part uses',
    async run(ctx) {
      const redis = redisOf(ctx);
      try {
        await redis.flushall();
      } finally {
        redis.disconnect();
      }
    },
  },
  {
    name: 'Redis rewind',
    what: 'Redis restored (atomically) to a snapshot of every key taken 2 s earlier, as a lagging replica promoted',
    async run(ctx) {
      const redis = redisOf(ctx);
      try {
        const keys = await snapshot(redis);
        await sleep(2_000);
        const multi = redis.multi().flushall();
        for (const { key, ttl, dump } of keys) multi.restore(key, ttl, dump, 'REPLACE');
        await multi.exec();
        ctx.log(`chaos: Redis back to ${keys.length} keys of 2 s ago`);
      } finally {
        redis.disconnect();
      }
    },
  },
  {
    name: 'SES stall',
    what: `the SES endpoint stopped (SIGSTOP) for ${STALL_MS / 1000} s, then continued`,
    run: (ctx) => stall(ctx.infra.ses.pid, STALL_MS),
  },
];

/** The faults named in a comma-separated list (names as in the table, case and spaces ignored). */
export function faultsNamed(list: string): Fault[] {
  const key = (s: string) => s.toLowerCase().replace(/[^a-z]/g, '');
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((name) => {
      const fault = FAULTS.find((f) => key(f.name) === key(name));
      if (!fault) throw new Error(`no fault named "${name}"; the faults: ${FAULTS.map((f) => key(f.name)).join(', ')}`);
      return fault;
    });
}
