/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests and the dashboard are untyped JSON */
// The operator's view (monitoring/, in prod): every alert and dashboard query parses as PromQL
// and names only metrics that exist (exported by the parts' sources today, or by Strimzi's Kafka
// Exporter), except the ones listed in NOT_YET_EXPORTED; scrape targets reach every part and Kafka.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PARTS, ROOT, all, container, find, portNumber, render, type K8sObject } from './manifests';
import {
  EXTERNAL,
  baseName,
  dashboards,
  metricsIn,
  monitoringQueries,
  panelExprs,
  prometheusTriggers,
  rules,
} from './monitoring-queries';

/**
 * Referenced by alerts.yaml / the dashboard but exported by no part yet; the platform's code must
 * add them (the alert or panel stays empty until then). Remove a name once it is exported.
 */
const NOT_YET_EXPORTED: Record<string, string> = {};

/** Metric names the parts register with prom-client, read from their sources (histograms with their series). */
function exportedMetrics(): Set<string> {
  const names = new Set<string>();
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (entry === 'node_modules' || entry === 'dist') continue;
      if (statSync(path).isDirectory()) visit(path);
      else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) {
        const source = readFileSync(path, 'utf8');
        for (const m of source.matchAll(
          /new (Counter|Gauge|Histogram|Summary)(?:<[^>]*>)?\(\{\s*name:\s*'([a-zA-Z_:][\w:]*)'/g,
        )) {
          const [, type, name] = m as unknown as [string, string, string];
          names.add(name);
          if (type === 'Histogram' || type === 'Summary') for (const s of ['_bucket', '_sum', '_count']) names.add(`${name}${s}`);
        }
      }
    }
  };
  for (const dir of [...PARTS.map((p) => join(p.dir, 'src')), 'packages']) visit(join(ROOT, dir));
  return names;
}

describe('alerts and dashboard', () => {
  it('parse as PromQL and name only exported metrics, or ones listed as not exported yet', () => {
    const exported = exportedMetrics();
    const unknown: string[] = [];
    const pending = new Set<string>();
    for (const { where, expr } of monitoringQueries()) {
      for (const name of metricsIn(expr, where)) {
        if (exported.has(name) || EXTERNAL.has(name)) continue;
        if (baseName(name) in NOT_YET_EXPORTED) pending.add(baseName(name));
        else unknown.push(`${where}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
    // The list stays honest: every entry is referenced, and none is exported already.
    expect([...pending].sort()).toEqual(Object.keys(NOT_YET_EXPORTED).sort());
    expect(Object.keys(NOT_YET_EXPORTED).filter((n) => exported.has(n))).toEqual([]);
  });

  it('finds the metrics the parts export in their sources (the check above is not vacuous)', () => {
    const exported = exportedMetrics();
    for (const name of [
      'fcfs_bff_applies_total',
      'fcfs_issuer_decisions_total',
      'fcfs_notifier_outbox_pending',
      'fcfs_apply_gate_seconds_bucket',
    ])
      expect({ name, exported: exported.has(name) }).toEqual({ name, exported: true });
    expect(() => metricsIn('sum(rate(x[5m]) >', 'test')).toThrow(/PromQL syntax error/);
  });

  it('alert on issuer lag, outbox backlog, dead letters, paused partitions, apply errors and the apply SLO', () => {
    const covered = (pattern: RegExp): string[] =>
      rules()
        .filter((r) => pattern.test(r.expr))
        .map((r) => r.alert);
    const watched = {
      issuerLag: covered(/kafka_consumergroup_lag\{[^}]*consumergroup="issuer"/),
      outboxBacklog: covered(/fcfs_notifier_outbox_pending/),
      deadLetters: covered(/topic="applications\.dlq"/),
      pausedPartitions: covered(/fcfs_issuer_paused_partitions/),
      applyErrors: covered(/fcfs_bff_applies_total\{outcome="ERROR"\}/),
      applySlo: covered(/histogram_quantile\(0\.99,[^]*fcfs_bff_request_duration_seconds_bucket\{operation="apply"\}/),
    };
    for (const [what, alerts] of Object.entries(watched))
      expect({ what, alerted: alerts.length > 0 }).toEqual({ what, alerted: true });
    for (const rule of rules()) {
      expect({
        alert: rule.alert,
        severity: ['warning', 'critical'].includes(rule.labels?.severity),
        summary: !!rule.annotations?.summary,
      }).toEqual({
        alert: rule.alert,
        severity: true,
        summary: true,
      });
    }
  });

  it('has a dashboard for an opening: applies by outcome, p50/p99, lag, decisions, stock, e-mails', () => {
    const [dashboard, ...others] = dashboards();
    expect(others).toEqual([]);
    const exprs = panelExprs(dashboard!.json).map((q) => q.expr);
    const shows = (pattern: RegExp): boolean => exprs.some((e) => pattern.test(e));
    expect({
      appliesByOutcome: shows(/sum by \(outcome\) \(rate\(fcfs_bff_applies_total/),
      p50: shows(/histogram_quantile\(0\.5,.*apply/),
      p99: shows(/histogram_quantile\(0\.99,.*apply/),
      lag: shows(/kafka_consumergroup_lag/),
      decisions: shows(/rate\(fcfs_issuer_decisions_total/),
      stock: shows(/fcfs_stock_remaining/),
      emails: shows(/fcfs_notifier_emails_sent_total/),
    }).toEqual({ appliesByOutcome: true, p50: true, p99: true, lag: true, decisions: true, stock: true, emails: true });
    expect(dashboard!.json.uid).toMatch(/^[\w-]{1,40}$/);
    expect(new Set(dashboard!.json.panels.map((p: any) => p.id)).size).toBe(dashboard!.json.panels.length);
  });
});

describe('scaling on the outbox (prod)', () => {
  it('keeps issuers up while result e-mails wait: a threshold of minutes of the account send rate, in its namespace', () => {
    const outbox = prometheusTriggers().find(
      (t) => t.scaled === 'issuer' && /fcfs_notifier_outbox_pending/.test(t.trigger.metadata.query),
    );
    expect(outbox).toBeDefined();
    const sharedConfig = all(render('prod'), 'ConfigMap').find((c) => c.metadata.name.startsWith('fcfs-shared'));
    const rate = Number(sharedConfig?.data?.['SES_SEND_RATE_PER_SECOND']);
    const secondsOfWork = Number(outbox!.trigger.metadata.threshold) / rate;
    expect({ rate, secondsOfWork: secondsOfWork >= 300 && secondsOfWork <= 1800 }).toEqual({ rate, secondsOfWork: true });
    const namespace = find(render('prod'), 'Deployment', 'issuer').metadata.namespace;
    expect(outbox!.trigger.metadata.query).toContain(`namespace="${namespace}"`);
  });
});

describe('scrape targets (prod)', () => {
  const objects = (): K8sObject[] => render('prod');
  const selects = (selector: Record<string, string>, labels: Record<string, string> = {}): boolean =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);

  it.each(PARTS.map((p) => p.name))('scrapes %s on the port where it serves /metrics', (name) => {
    const service = find(objects(), 'Service', name);
    const monitors = all(objects(), 'ServiceMonitor').filter((m) =>
      selects(m.spec.selector.matchLabels, service.metadata.labels),
    );
    const c = container(find(objects(), 'Deployment', name));
    const metricsPort = portNumber(c, name === 'bff' ? 'http' : 'metrics', name);
    const reached = monitors.flatMap((m) =>
      m.spec.endpoints
        .map((e: any) => service.spec.ports.find((p: any) => p.name === e.port))
        .filter((p: any) => p !== undefined)
        .map((p: any) => portNumber(c, p.targetPort ?? p.port, `Service/${name}`)),
    );
    expect({ name, reached }).toEqual({ name, reached: [metricsPort] });
  });

  it('scrapes the Kafka pods Strimzi labels for the cluster, which exports its metrics', () => {
    const kafka = all(objects(), 'Kafka')[0]!;
    const podMonitor = all(objects(), 'PodMonitor')[0]!;
    expect(podMonitor.spec.selector.matchLabels).toEqual({
      'strimzi.io/cluster': kafka.metadata.name,
      'strimzi.io/kind': 'Kafka',
    });
    expect(podMonitor.spec.podMetricsEndpoints.map((e: any) => e.port)).toEqual(['tcp-prometheus']);
    expect(kafka.spec.kafka.metricsConfig?.type).toBe('strimziMetricsReporter');
    expect(kafka.spec.kafkaExporter).toBeDefined();
  });

  it('puts no prometheus.io annotations on pods (the Prometheus Operator ignores them)', () => {
    const annotated = all(objects(), 'Deployment').filter((d) =>
      Object.keys(d.spec.template.metadata.annotations ?? {}).some((k) => k.startsWith('prometheus.io/')),
    );
    expect(annotated.map((d) => d.metadata.name)).toEqual([]);
  });
});
