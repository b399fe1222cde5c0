/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are untyped JSON; the checks read fields by name */
// Strimzi's topics and cluster against what event and issuer are configured to use.
import { loadPartConfig, defaultOf } from './config-schemas';
import { OVERLAYS, PARTS, all, containerEnvironment, find, landedParts, render, type K8sObject } from './manifests';
import { placeholderSecrets } from './config-schemas';

const kafkaParts = landedParts().landed.filter((p) => p.name === 'event' || p.name === 'issuer');

/** The value a part uses for `key`: its manifests' environment, else its schema's default. */
function setting(overlay: (typeof OVERLAYS)[number], partName: string, key: string): string | undefined {
  const part = PARTS.find((p) => p.name === partName)!;
  const env = containerEnvironment(render(overlay), find(render(overlay), 'Deployment', partName), placeholderSecrets);
  const config = loadPartConfig(part);
  if (!config.keys.includes(key)) return undefined;
  const fallback = defaultOf(config, key);
  return env[key] ?? (fallback === undefined ? undefined : String(fallback));
}

const topicNamed = (objects: K8sObject[], name: string): K8sObject | undefined =>
  all(objects, 'KafkaTopic').find((t) => (t.spec.topicName ?? t.metadata.name) === name);

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const objects = (): K8sObject[] => render(overlay);
  const production = overlay === 'prod';

  it.each(kafkaParts.map((p) => p.name))('has a KafkaTopic for each topic %s uses', (partName) => {
    for (const key of ['KAFKA_APPLICATIONS_TOPIC', 'KAFKA_DLQ_TOPIC']) {
      const name = setting(overlay, partName, key);
      if (name === undefined) continue;
      expect({ part: partName, key, topic: name, declared: topicNamed(objects(), name) !== undefined }).toEqual({
        part: partName,
        key,
        topic: name,
        declared: true,
      });
    }
  });

  it('replicates the topics 3 ways with min.insync.replicas 2 in production (1 and 1 in dev)', () => {
    for (const topic of all(objects(), 'KafkaTopic')) {
      const got = {
        topic: topic.metadata.name,
        replicas: topic.spec.replicas,
        minIsr: Number(topic.spec.config['min.insync.replicas']),
      };
      expect(got).toEqual({ topic: topic.metadata.name, replicas: production ? 3 : 1, minIsr: production ? 2 : 1 });
    }
    const kafka = all(objects(), 'Kafka')[0]!;
    expect(Number(kafka.spec.kafka.config['min.insync.replicas'])).toBe(production ? 2 : 1);
    expect(kafka.spec.kafka.config['auto.create.topics.enable']).toBe(false);
  });

  it('runs no more issuers than the applications topic has partitions, and scales them on that topic', () => {
    const name = setting(overlay, 'event', 'KAFKA_APPLICATIONS_TOPIC') ?? 'applications';
    const topic = topicNamed(objects(), name);
    const issuer = find(objects(), 'Deployment', 'issuer');
    const scaled = all(objects(), 'ScaledObject').find((o) => o.spec.scaleTargetRef.name === 'issuer');
    const most = scaled?.spec.maxReplicaCount ?? issuer.spec.replicas ?? 1;
    expect({ issuerReplicas: most, fits: most <= topic?.spec.partitions }).toEqual({ issuerReplicas: most, fits: true });
    expect(all(objects(), 'HorizontalPodAutoscaler').filter((h) => h.spec.scaleTargetRef.name === 'issuer')).toEqual([]);
    if (scaled) {
      const lag = scaled.spec.triggers.find((t: any) => t.type === 'kafka')?.metadata;
      const brokers = setting(overlay, 'issuer', 'KAFKA_BROKERS');
      const group = setting(overlay, 'issuer', 'KAFKA_GROUP_ID') ?? setting(overlay, 'issuer', 'KAFKA_ISSUER_GROUP');
      expect(lag).toMatchObject({ bootstrapServers: brokers, consumerGroup: group, topic: name, allowIdleConsumers: 'false' });
    }
  });

  it('watches the lag of the consumer group the issuer joins and the event service reports', () => {
    const exporter = all(objects(), 'Kafka')[0]!.spec.kafkaExporter;
    const groups = kafkaParts
      .flatMap((p) =>
        loadPartConfig(p)
          .keys.filter((k) => /GROUP/.test(k))
          .map((k) => setting(overlay, p.name, k)),
      )
      .filter((g): g is string => g !== undefined);
    expect(groups.length).toBeGreaterThan(0);
    for (const group of groups)
      expect({ group, matched: new RegExp(exporter.groupRegex).test(group) }).toEqual({ group, matched: true });
    for (const topic of all(objects(), 'KafkaTopic')) {
      const name = topic.spec.topicName ?? topic.metadata.name;
      expect({ topic: name, matched: new RegExp(exporter.topicRegex).test(name) }).toEqual({ topic: name, matched: true });
    }
  });

  it('lets only the Kafka clients (event, issuer) and KEDA reach the brokers', () => {
    const listeners = all(objects(), 'Kafka')[0]!.spec.kafka.listeners;
    const [host, port] = (setting(overlay, 'event', 'KAFKA_BROKERS') ?? '').split(':');
    expect(host).toBe(`${all(objects(), 'Kafka')[0]!.metadata.name}-kafka-bootstrap`);
    const listener = listeners.find((l: { port: number }) => l.port === Number(port));
    const peers = listener.networkPolicyPeers
      .map((p: any) => {
        const app = p.podSelector.matchLabels['app.kubernetes.io/name'];
        const ns = p.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'];
        return ns ? `${ns}/${app}` : app;
      })
      .sort();
    expect(peers).toEqual(['event', 'issuer', 'keda/keda-operator']);
  });
});
