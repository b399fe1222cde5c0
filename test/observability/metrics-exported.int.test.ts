// The operator's view against the running parts: every metric an alert, a KEDA trigger or the dashboard
// queries is served on the parts' /metrics once the platform has seen one sign-in, apply and decision.
// (deploy/k8s/test/monitoring.test.ts checks the same names against the sources, which cannot tell
// a metric that is declared from one that is registered and served.)
import { EXTERNAL, metricsIn, monitoringQueries } from '../../deploy/k8s/test/monitoring-queries';
import { eventually, randomSuffix } from '../support';
import { gql } from '../support/graphql';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { createOpenEvent, signIn } from '../support/session';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform({ authMetrics: true });
});

afterAll(async () => {
  await platform?.stop();
});

/** Every part's /metrics (in one process they share the kit's registry; each is scraped all the same). */
async function scrapeAll(): Promise<string> {
  const { auth, event, issuer, bff } = platform;
  const urls = [
    ...[auth, event, issuer].map((part) => `http://127.0.0.1:${part.metricsPort}/metrics`),
    bff.url.replace(/\/graphql$/, '/metrics'),
  ];
  const bodies = await Promise.all(
    urls.map(async (url) => {
      const res = await fetch(url);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
      return res.text();
    }),
  );
  return bodies.join('\n');
}

/** The names an exposition declares (`# TYPE`, with a histogram's series) and the samples it holds. */
function parseExposition(text: string): { declared: Set<string>; samples: string[] } {
  const declared = new Set<string>();
  const samples: string[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      declared.add(name);
      if (kind === 'histogram' || kind === 'summary') for (const s of ['_bucket', '_sum', '_count']) declared.add(`${name}${s}`);
    } else if (line !== '' && !line.startsWith('#')) samples.push(line);
  }
  return { declared, samples };
}

describe('the metrics the alerts and the dashboard use', () => {
  it('are all served by the running parts after a sign-in, an apply and its decision', async () => {
    const [admin] = await platform.mintTokens([platform.adminEmail]);
    const eventId = await createOpenEvent(platform.url, admin!.token, 5);
    const token = await signIn(platform.url, `metrics-${randomSuffix()}@example.com`);
    const applied = await gql(platform.url, 'mutation($id: ID!) { apply(eventId: $id) { outcome } }', { id: eventId }, token);
    expect(applied.data?.['apply']).toEqual({ outcome: 'ACCEPTED' });

    // The decision, then its result e-mail, as the parts count them.
    const { declared, samples } = await eventually(
      async () => {
        const scraped = parseExposition(await scrapeAll());
        const has = (prefix: string) => scraped.samples.some((s) => s.startsWith(prefix));
        return has(`fcfs_stock_remaining{event="${eventId}"} 4`) && has('fcfs_notifier_emails_sent_total{') ? scraped : undefined;
      },
      30_000,
      'the decision and its result e-mail in the metrics',
    );

    const referenced = new Set(monitoringQueries().flatMap(({ where, expr }) => metricsIn(expr, where)));
    const notServed = [...referenced].filter((name) => !EXTERNAL.has(name) && !declared.has(name)).sort();
    expect(notServed).toEqual([]);
    // The check is not vacuous: the queries name the parts' metrics, and the request above shows in them.
    expect(referenced.size).toBeGreaterThan(15);
    const sampled = (pattern: RegExp) => samples.some((s) => pattern.test(s));
    expect({
      applySlo: sampled(/^fcfs_bff_request_duration_seconds_bucket\{[^}]*operation="apply",outcome="ok"/),
      grpcServer: sampled(
        /^grpc_server_handled_total\{[^}]*grpc_service="fcfs.v1.EventService",grpc_method="ApplyBatch",grpc_code="OK"\}/,
      ),
      grpcClient: sampled(
        /^grpc_client_handled_total\{[^}]*grpc_service="fcfs.v1.EventService",grpc_method="ApplyBatch",grpc_code="OK"\}/,
      ),
      decisions: sampled(/^fcfs_issuer_decisions_total\{status="issued"\} [1-9]/),
    }).toEqual({ applySlo: true, grpcServer: true, grpcClient: true, decisions: true });
  });
});
