import { callUnary, grpcErrorInfo, GrpcStatus } from '@fcfs/kit';
import { defineStockScripts, eventKeys, readHotState, rebuildEventState } from '@fcfs/stock';
import type { ReconcileResponse } from '@fcfs/proto';
import type { OpsContext, Output } from './context';

/** The issuer's Reconcile over gRPC: one comparison of Redis with MySQL, the same one the benchmark runs. */
async function compare(ctx: OpsContext, eventId: string): Promise<ReconcileResponse> {
  const client = ctx.issuer();
  try {
    return await callUnary(client.reconcile.bind(client), { eventId }, { deadlineMs: 60_000 });
  } catch (err) {
    const info = grpcErrorInfo(err);
    if (info.code === GrpcStatus.NOT_FOUND) throw new Error(`event ${eventId} does not exist`);
    if (info.code === GrpcStatus.UNAVAILABLE || info.code === GrpcStatus.DEADLINE_EXCEEDED) {
      throw new Error(`the issuer at ${ctx.config.upstream.issuer} did not answer (ISSUER_ADDRESS): ${info.message}`);
    }
    throw new Error(`the issuer's Reconcile failed: ${info.message}`);
  }
}

function report(r: ReconcileResponse, output: Output): void {
  output.out(`consistent: ${r.consistent}`);
  output.out(`stock: ${r.stock}`);
  output.out(`issued: mysql ${r.issuedMysql}, redis ${r.issuedRedis} (remaining in redis ${r.remainingRedis})`);
  output.out(`applications: mysql ${r.applicationsMysql}, redis ${r.applicationsRedis}`);
  for (const d of r.differences) output.out(`participant ${d.participantId}: redis ${d.redis}, mysql ${d.mysql}`);
}

/**
 * Rebuilds one event's Redis state from MySQL, as after a Redis loss: the state and the decisions go, and
 * MySQL's are written back under the event's row lock (packages/stock rebuild). Positions already handed
 * out are kept (minPosition), so a new applicant never gets one twice. An application accepted but not yet
 * decided loses its PENDING entry, exactly as in a Redis loss: the issuer still decides it from Kafka.
 */
async function rebuild(ctx: OpsContext, eventId: string, output: Output): Promise<void> {
  const redis = ctx.redis();
  const prefix = ctx.config.stock.redisPrefix;
  const keys = eventKeys(prefix, eventId);
  const hot = await readHotState(redis, keys);
  if (hot !== undefined && hot.pending > 0) {
    output.err(`note: ${hot.pending} applications were still pending; the issuer decides them from Kafka as after a Redis loss`);
  }
  await redis.del(keys.state, keys.apps, keys.line);
  const outcome = await rebuildEventState(
    { redis, scripts: defineStockScripts(redis), sequelize: ctx.sequelize(), prefix },
    eventId,
    { minPosition: hot?.seq ?? 0 },
  );
  output.err(
    outcome === 'rebuilt'
      ? `rebuilt event ${eventId}'s Redis state from MySQL`
      : `event ${eventId}'s Redis state was rebuilt meanwhile by a service (${outcome})`,
  );
}

/** Compares Redis with MySQL for one event and, with `fix`, rebuilds Redis when they differ. */
export async function reconcileEvent(
  ctx: OpsContext,
  { eventId, fix }: { eventId: string; fix: boolean },
  output: Output,
): Promise<{ before: ReconcileResponse; after: ReconcileResponse | undefined }> {
  const before = await compare(ctx, eventId);
  report(before, output);
  if (before.consistent || !fix) {
    if (!before.consistent) output.err(`event ${eventId}: Redis and MySQL differ; --fix rebuilds Redis from MySQL`);
    return { before, after: undefined };
  }
  await rebuild(ctx, eventId, output);
  const after = await compare(ctx, eventId);
  output.out('after the rebuild:');
  report(after, output);
  return { before, after };
}
