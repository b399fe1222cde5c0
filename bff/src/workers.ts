import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { registry, type Logger } from '@fcfs/kit';

/**
 * `BFF_WORKERS=n` (n > 1): the BFF runs as n worker processes of one primary (node:cluster), each a whole
 * BFF (own Apollo, apply batcher, watch hub, gRPC channels), each listening on the same port itself
 * with SO_REUSEPORT (`reusePort`, Node ≥ 23.1), so the kernel spreads new connections over n accept
 * queues and n event loops. The primary serves nothing: it forks, forwards signals and aggregates
 * /metrics. The BFF was built for several replicas (rate limits merged in Redis, a watch stream per
 * replica, status subscriptions that do not depend on which replica answered the apply), so a worker
 * is just one more replica on the same port.
 */

const METRICS_REQUEST = 'fcfs:bff-metrics-request';
const METRICS_ANSWER = 'fcfs:bff-metrics-answer';

interface MetricsAnswer {
  type: typeof METRICS_ANSWER;
  id: number;
  text?: string;
  error?: string;
}

/** The number of workers BFF_WORKERS asks for (1: no cluster); a bad value names itself. */
export function workerCount(environment: Record<string, string | undefined> = process.env): number {
  const raw = environment['BFF_WORKERS'];
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 64) {
    throw new Error(`BFF_WORKERS must be an integer from 1 to 64, got "${raw}"`);
  }
  return value;
}

/** Whether this process is one of several BFF workers on one port (listen with reusePort, metrics from the primary). */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/**
 * The whole pod's metrics, from inside a worker: asks the primary, which gathers every worker's registry
 * (prom-client's AggregatorRegistry: counters and histograms summed). Outside a cluster, this process's own.
 */
export function metricsText(): Promise<string> {
  if (!cluster.isWorker || process.send === undefined) return registry.metrics();
  const id = ++asked;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error('the primary did not answer for the metrics within 5 s'));
    }, 5_000);
    waiting.set(id, (answer) => {
      clearTimeout(timer);
      if (answer.text !== undefined) resolve(answer.text);
      else reject(new Error(answer.error ?? 'no metrics'));
    });
    process.send!({ type: METRICS_REQUEST, id });
  });
}

let asked = 0;
const waiting = new Map<number, (answer: MetricsAnswer) => void>();

if (cluster.isWorker) {
  // The primary's AggregatorRegistry asks every worker for this registry (the kit's, not prom-client's global one).
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs prom-client's answering listener in this worker (nothing else does).
  new AggregatorRegistry();
  process.on('message', (message: unknown) => {
    const answer = message as Partial<MetricsAnswer> | null;
    if (answer?.type !== METRICS_ANSWER || typeof answer.id !== 'number') return;
    waiting.get(answer.id)?.(answer as MetricsAnswer);
    waiting.delete(answer.id);
  });
}

/**
 * The primary: forks `count` workers running this same script, forwards SIGTERM/SIGINT (a drain in each)
 * and, when profiling, SIGUSR2 (the benchmark's profiler toggle), answers the workers' metrics requests, and exits when
 * every worker has. A worker that dies on its own takes the pod down (exit 1 after stopping the others):
 * Kubernetes restarts it, rather than a pod that answers /readyz from the workers still up while a
 * share of its connections went to a dead one.
 */
export function runPrimary(count: number, logger: Logger): void {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  let failed = false;
  const workers = new Set<Worker>();

  const stopAll = (signal: NodeJS.Signals): void => {
    for (const worker of workers) worker.process.kill(signal);
  };

  for (let i = 0; i < count; i++) {
    const worker = cluster.fork({ BFF_WORKER_INDEX: String(i) });
    workers.add(worker);
    worker.on('message', (message: unknown) => {
      const request = message as { type?: string; id?: number } | null;
      if (request?.type !== METRICS_REQUEST || typeof request.id !== 'number') return;
      const id = request.id;
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: METRICS_ANSWER, id, text }),
        (err: unknown) => worker.send({ type: METRICS_ANSWER, id, error: String(err) }),
      );
    });
    worker.on('exit', (code, signal) => {
      workers.delete(worker);
      if (!stopping) {
        failed = true;
        stopping = true;
        logger.error({ worker: i, code, signal }, 'a BFF worker exited; stopping the others');
        stopAll('SIGTERM');
      }
      if (workers.size === 0) process.exit(failed ? 1 : 0);
    });
  }
  logger.info({ workers: count }, 'BFF workers forked');

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      stopping = true;
      stopAll('SIGTERM');
    });
  }
  // Only when this process itself listens for SIGUSR2 (the benchmark's profiler, preloaded): a worker
  // without such a listener would die of the signal.
  if (process.listenerCount('SIGUSR2') > 0) process.on('SIGUSR2', () => stopAll('SIGUSR2'));
}
