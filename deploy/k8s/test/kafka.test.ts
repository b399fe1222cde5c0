/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are untyped JSON; the checks read fields by name */
// Strimzi's topics and cluster against what event and issuer are configured to use.
import { loadPartConfig, defaultOf } from './config-schemas';
import { OVERLAYS, PARTS, all, container, containerEnvironment, find, landedParts, render, type K8sObject } from './manifests';
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

describe.each(OVERLAYS)('overlay %s: who may do what on Kafka', (overlay) => {
  const objects = (): K8sObject[] => render(overlay);
  /** The secretKeyRef behind one variable of a part's container. */
  const secretOf = (partName: string, variable: string) =>
    container(find(objects(), 'Deployment', partName)).env?.find((e: any) => e.name === variable)?.valueFrom?.secretKeyRef;
  const allowed = (user: K8sObject, type: string, name: string | undefined, operation: string): boolean =>
    user.spec.authorization.acls.some(
      (acl: any) =>
        acl.resource.type === type &&
        (type === 'cluster' || (acl.resource.name === name && (acl.resource.patternType ?? 'literal') === 'literal')) &&
        acl.operations.includes(operation),
    );

  it('takes clients only over TLS with SCRAM-SHA-512 and authorizes every request', () => {
    const kafka = all(objects(), 'Kafka')[0]!;
    expect(kafka.spec.kafka.authorization?.type).toBe('simple');
    for (const part of kafkaParts) {
      const port = Number(setting(overlay, part.name, 'KAFKA_BROKERS')?.split(':')[1]);
      const listener = kafka.spec.kafka.listeners.find((l: any) => l.port === port);
      expect({ part: part.name, port, tls: listener?.tls, authentication: listener?.authentication?.type }).toEqual({
        part: part.name,
        port,
        tls: true,
        authentication: 'scram-sha-512',
      });
      expect(setting(overlay, part.name, 'KAFKA_SASL_MECHANISM')).toBe('scram-sha-512');
      expect(secretOf(part.name, 'KAFKA_TLS_CA')).toEqual({ name: `${kafka.metadata.name}-cluster-ca-cert`, key: 'ca.crt' });
    }
    // No listener left without authentication.
    expect(kafka.spec.kafka.listeners.filter((l: any) => l.authentication === undefined).map((l: any) => l.name)).toEqual([]);
  });

  it('gives event and issuer each a KafkaUser of their own, with exactly the ACLs their settings need', () => {
    const users = all(objects(), 'KafkaUser');
    const userOf = (partName: string): K8sObject => {
      const name = setting(overlay, partName, 'KAFKA_SASL_USERNAME');
      const user = users.find((u) => u.metadata.name === name);
      if (!user) throw new Error(`${partName}: KAFKA_SASL_USERNAME=${name} names no KafkaUser`);
      // Strimzi writes the user's password into a Secret of the user's name.
      expect(secretOf(partName, 'KAFKA_SASL_PASSWORD')).toEqual({ name, key: 'password' });
      return user;
    };
    const topic = setting(overlay, 'event', 'KAFKA_APPLICATIONS_TOPIC');
    const dlq = setting(overlay, 'issuer', 'KAFKA_DLQ_TOPIC');
    const group = setting(overlay, 'issuer', 'KAFKA_ISSUER_GROUP');
    const event = userOf('event');
    const issuer = userOf('issuer');
    expect(event.metadata.name).not.toBe(issuer.metadata.name);
    const verdicts = {
      eventProduces: allowed(event, 'topic', topic, 'Write'),
      eventReadsLag: allowed(event, 'group', group, 'Describe'),
      eventCannotConsume: !allowed(event, 'topic', topic, 'Read') && !allowed(event, 'group', group, 'Read'),
      eventCannotTouchDlq: !allowed(event, 'topic', dlq, 'Write') && !allowed(event, 'topic', dlq, 'Read'),
      issuerConsumes: allowed(issuer, 'topic', topic, 'Read') && allowed(issuer, 'group', group, 'Read'),
      issuerDeadLetters: allowed(issuer, 'topic', dlq, 'Write'),
      issuerCannotProduceApplications: !allowed(issuer, 'topic', topic, 'Write'),
    };
    expect(Object.entries(verdicts).filter(([, ok]) => !ok)).toEqual([]);
    // Nobody holds All, or a wildcard or prefixed resource.
    const broad = users.flatMap((u) =>
      u.spec.authorization.acls
        .filter(
          (acl: any) => acl.operations.includes('All') || acl.resource.name === '*' || acl.resource.patternType === 'prefix',
        )
        .map(() => u.metadata.name),
    );
    expect(broad).toEqual([]);
    for (const user of users)
      expect({ user: user.metadata.name, auth: user.spec.authentication.type }).toEqual({
        user: user.metadata.name,
        auth: 'scram-sha-512',
      });
  });

  it('lets KEDA read the lag as its own describe-only user', () => {
    const scaled = all(objects(), 'ScaledObject').find((o) => o.spec.scaleTargetRef.name === 'issuer');
    if (!scaled) return;
    const trigger = scaled.spec.triggers.find((t: any) => t.type === 'kafka');
    const auth = all(objects(), 'TriggerAuthentication').find((a) => a.metadata.name === trigger.authenticationRef?.name);
    const params = Object.fromEntries(auth?.spec.secretTargetRef.map((r: any) => [r.parameter, r.name]) ?? []);
    expect(Object.keys(params).sort()).toEqual(['ca', 'password', 'sasl', 'tls', 'username']);
    const keda = all(objects(), 'KafkaUser').find(
      (u) => u.spec.authentication.password?.valueFrom?.secretKeyRef?.name === params['password'],
    );
    expect(keda?.spec.authorization.acls.flatMap((acl: any) => acl.operations)).toEqual(['Describe', 'Describe']);
  });
});
