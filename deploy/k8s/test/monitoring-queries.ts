/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests and the dashboard are untyped JSON */
// The PromQL the operator's view runs (alert rules, KEDA's Prometheus triggers, dashboard panels, in the
// prod overlay) and the metric names it selects: shared by monitoring.test.ts (names against the
// sources) and test/observability (names against what the running parts serve).
import { all, find, render } from './manifests';

/** The part of Prometheus's own PromQL grammar (lezer) that the checks use. */
interface PromqlCursor {
  type: { isError: boolean };
  name: string;
  from: number;
  to: number;
  next(): boolean;
}
// The package is an ES module whose types TypeScript will not let a CommonJS test import; its
// CommonJS build (exports.require) is what runs.
const { parser } = require('@prometheus-io/lezer-promql') as { parser: { parse(expr: string): { cursor(): PromqlCursor } } };

// Strimzi's Kafka Exporter (consumer group lag, topic offsets) and Prometheus itself.
export const EXTERNAL: ReadonlySet<string> = new Set([
  'kafka_consumergroup_lag',
  'kafka_topic_partition_current_offset',
  'kafka_topic_partition_oldest_offset',
  'up',
]);

/** The metric names a PromQL expression selects; throws on a syntax error. */
export function metricsIn(expr: string, where: string): string[] {
  const cursor = parser.parse(expr).cursor();
  const names: string[] = [];
  do {
    if (cursor.type.isError)
      throw new Error(`${where}: PromQL syntax error at ${cursor.from}: ${expr.slice(cursor.from, cursor.from + 40)}`);
    if (cursor.name === 'Identifier') names.push(expr.slice(cursor.from, cursor.to));
  } while (cursor.next());
  return names;
}

export const baseName = (name: string): string => name.replace(/_(bucket|sum|count)$/, '');

export const rules = (): any[] =>
  all(render('prod'), 'PrometheusRule').flatMap((r) => r.spec.groups.flatMap((g: any) => g.rules));

/** KEDA triggers that scale on a Prometheus query. */
export const prometheusTriggers = (): { scaled: string; trigger: any }[] =>
  all(render('prod'), 'ScaledObject').flatMap((o) =>
    o.spec.triggers.filter((t: any) => t.type === 'prometheus').map((trigger: any) => ({ scaled: o.metadata.name, trigger })),
  );

export function dashboards(): { file: string; json: any }[] {
  const map = find(render('prod'), 'ConfigMap', 'fcfs-grafana-dashboards');
  return Object.entries(map.data ?? {}).map(([file, text]) => ({ file, json: JSON.parse(text) }));
}

export const panelExprs = (json: any): { where: string; expr: string }[] =>
  json.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => ({ where: `panel "${p.title}"`, expr: t.expr })));

/** Every query of the prod overlay, with where it is. */
export function monitoringQueries(): { where: string; expr: string }[] {
  return [
    ...rules().map((r) => ({ where: `alert ${r.alert}`, expr: r.expr as string })),
    ...prometheusTriggers().map(({ scaled, trigger }) => ({
      where: `ScaledObject/${scaled}`,
      expr: trigger.metadata.query as string,
    })),
    ...dashboards().flatMap(({ file, json }) => panelExprs(json).map((q) => ({ ...q, where: `${file} ${q.where}` }))),
  ];
}
