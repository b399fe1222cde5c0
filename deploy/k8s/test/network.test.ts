/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are untyped JSON; the checks read fields by name */
// The NetworkPolicies as a graph: which pod may open a connection to which, on which port, computed
// the way the API server's semantics define it (a pod selected by no policy of a direction is open in
// that direction; otherwise some rule of some selecting policy must admit the peer and port), with the
// Kafka brokers' ingress from Strimzi's networkPolicyPeers and Redis's and MySQL's from the data tier's
// policies (deploy/k8s/data-tier). Each part must reach exactly what its configuration names: the
// services of its *_ADDRESS, Redis (REDIS_URL), MySQL (MYSQL_URL), Kafka (KAFKA_BROKERS), SES (SES_*),
// and DNS; nothing else (the BFF never reaches MySQL or Kafka, no part but auth and the issuer the internet).
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import { loadPartConfig } from './config-schemas';
import { OVERLAYS, all, container, find, landedParts, render, type K8sObject } from './manifests';

interface Endpoint {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** An address outside the cluster (ipBlock peers), instead of a pod. */
  ip?: string;
  port: number;
  protocol?: 'TCP' | 'UDP';
}

const namespaceLabels = (namespace: string) => ({ 'kubernetes.io/metadata.name': namespace });

function matches(selector: any, labels: Record<string, string>): boolean {
  if (selector === undefined || selector === null) return true;
  const plain = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const expressions = (selector.matchExpressions ?? []).every((e: any) => {
    if (e.operator === 'In') return e.values.includes(labels[e.key]);
    if (e.operator === 'NotIn') return !e.values.includes(labels[e.key]);
    if (e.operator === 'Exists') return labels[e.key] !== undefined;
    if (e.operator === 'DoesNotExist') return labels[e.key] === undefined;
    throw new Error(`unknown operator ${e.operator}`);
  });
  return plain && expressions;
}

const ipToInt = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
function inCidr(ip: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipToInt(ip) / size) === Math.floor(ipToInt(base) / size);
}

/** Whether one peer of a rule (in a policy of `policyNamespace`) is `other`. */
function peerIs(peer: any, policyNamespace: string, other: Endpoint): boolean {
  if (peer.ipBlock) {
    if (other.ip === undefined) return false;
    return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(other.ip!, c));
  }
  if (other.ip !== undefined) return false;
  const namespaceOk = peer.namespaceSelector
    ? matches(peer.namespaceSelector, namespaceLabels(other.namespace))
    : other.namespace === policyNamespace;
  return namespaceOk && matches(peer.podSelector, other.labels);
}

const portOk = (rule: any, target: Endpoint) =>
  rule.ports === undefined ||
  rule.ports.some((p: any) => Number(p.port) === target.port && (p.protocol ?? 'TCP') === (target.protocol ?? 'TCP'));

/** One direction of the policies: `self` is selected, `other` is the peer, `port` is the target's. */
function admits(policies: K8sObject[], direction: 'Ingress' | 'Egress', self: Endpoint, other: Endpoint, target: Endpoint) {
  const selecting = policies.filter(
    (p) =>
      (p.metadata.namespace ?? self.namespace) === self.namespace &&
      (p.spec.policyTypes ?? ['Ingress']).includes(direction) &&
      matches(p.spec.podSelector, self.labels),
  );
  if (selecting.length === 0) return true;
  const key = direction === 'Ingress' ? 'ingress' : 'egress';
  const peers = direction === 'Ingress' ? 'from' : 'to';
  return selecting.some((p) =>
    (p.spec[key] ?? []).some(
      (rule: any) =>
        portOk(rule, target) &&
        (rule[peers] === undefined || rule[peers].some((peer: any) => peerIs(peer, self.namespace, other))),
    ),
  );
}

describe.each(OVERLAYS)('overlay %s: the network graph', (overlay) => {
  const objects = () => render(overlay);
  const dataTier = () => render('data-tier');
  const namespace = () => find(objects(), 'Deployment', 'bff').metadata.namespace as string;
  const policies = () => [...all(objects(), 'NetworkPolicy'), ...all(dataTier(), 'NetworkPolicy')];

  const podOf = (kind: string, name: string, portName?: string): Endpoint => {
    const workload = find(objects(), kind, name);
    const c = container(workload);
    const port = portName ? c.ports.find((p: any) => p.name === portName).containerPort : 0;
    return { name, namespace: namespace(), labels: workload.spec.template.metadata.labels, port };
  };
  const kafka = (): Endpoint => {
    const cluster = all(objects(), 'Kafka')[0]!;
    return {
      name: 'kafka',
      namespace: namespace(),
      labels: { 'strimzi.io/cluster': cluster.metadata.name, 'strimzi.io/kind': 'Kafka', 'strimzi.io/broker-role': 'true' },
      port: 9093,
    };
  };
  const targets = (): Endpoint[] => [
    podOf('Deployment', 'auth', 'grpc'),
    podOf('Deployment', 'event', 'grpc'),
    podOf('Deployment', 'issuer', 'grpc'),
    kafka(),
    { name: 'redis', namespace: 'fcfs-data', labels: { 'app.kubernetes.io/name': 'redis' }, port: 6379 },
    { name: 'mysql', namespace: 'fcfs-data', labels: { 'app.kubernetes.io/name': 'mysql' }, port: 3306 },
    { name: 'ses', namespace: '', labels: {}, ip: '52.94.236.248', port: 443 },
    { name: 'internal-443', namespace: '', labels: {}, ip: '10.20.30.40', port: 443 },
    { name: 'dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, port: 53, protocol: 'UDP' },
  ];

  /** Egress of the source's namespace, then ingress of the target's (Strimzi's listener peers for Kafka). */
  const reaches = (source: Endpoint, target: Endpoint): boolean => {
    if (!admits(policies(), 'Egress', source, target, target)) return false;
    if (target.ip !== undefined) return true;
    if (target.name === 'kafka') {
      const listener = all(objects(), 'Kafka')[0]!.spec.kafka.listeners.find((l: any) => l.port === target.port);
      return (
        listener !== undefined && (listener.networkPolicyPeers ?? []).some((peer: any) => peerIs(peer, target.namespace, source))
      );
    }
    return admits(policies(), 'Ingress', target, source, target);
  };

  /** What a part's configuration says it talks to. */
  const needs = (name: string): string[] => {
    const part = landedParts().landed.find((p) => p.name === name);
    if (!part) return name === 'migrate' ? ['dns', 'mysql'] : ['dns'];
    const keys = loadPartConfig(part).keys;
    const workload = find(objects(), 'Deployment', name);
    const env = Object.fromEntries(
      [...(container(workload).envFrom ?? [])].flatMap((s: any) =>
        Object.entries(all(objects(), 'ConfigMap').find((cm) => cm.metadata.name === s.configMapRef?.name)?.data ?? {}),
      ),
    );
    const calls = Object.entries(env)
      .filter(([k]) => k.endsWith('_ADDRESS') && keys.includes(k))
      .map(([, v]) => String(v).split(':')[0]!);
    return [
      ...calls,
      ...(keys.includes('KAFKA_BROKERS') ? ['kafka'] : []),
      ...(keys.includes('REDIS_URL') ? ['redis'] : []),
      ...(keys.includes('MYSQL_URL') ? ['mysql'] : []),
      ...(keys.includes('SES_REGION') ? ['ses'] : []),
      'dns',
    ].sort();
  };

  it.each(['bff', 'auth', 'event', 'issuer', 'migrate'])('lets %s reach exactly what its configuration names', (name) => {
    const source = podOf(name === 'migrate' ? 'Job' : 'Deployment', name);
    const reached = targets()
      .filter((t) => t.name !== name && reaches(source, t))
      .map((t) => t.name)
      .sort();
    expect({ part: name, reaches: reached }).toEqual({ part: name, reaches: needs(name) });
  });

  it('keeps the data tier to its users: the BFF never reaches MySQL or Kafka, nothing outside the platform reaches Redis', () => {
    const [bff, mysql, redis, kafkaBroker] = [
      podOf('Deployment', 'bff'),
      targets().find((t) => t.name === 'mysql')!,
      targets().find((t) => t.name === 'redis')!,
      kafka(),
    ];
    expect(reaches(bff, mysql)).toBe(false);
    expect(reaches(bff, kafkaBroker)).toBe(false);
    // A pod of another namespace, and an unlabelled pod of this one, get nowhere in the data tier.
    const stranger: Endpoint = { name: 'stranger', namespace: 'other', labels: { 'app.kubernetes.io/name': 'event' }, port: 0 };
    const intruder: Endpoint = { name: 'intruder', namespace: namespace(), labels: { app: 'debug' }, port: 0 };
    for (const source of [stranger, intruder]) {
      expect({ source: source.name, redis: reaches(source, redis), mysql: reaches(source, mysql) }).toEqual({
        source: source.name,
        redis: false,
        mysql: false,
      });
    }
    // The unlabelled pod cannot call the services either, nor be reached from outside.
    for (const service of ['auth', 'event', 'issuer'])
      expect(reaches(intruder, podOf('Deployment', service, 'grpc'))).toBe(false);
  });

  it('renders the data tier policies, valid against the Kubernetes schema, in namespace fcfs-data', () => {
    for (const policy of all(dataTier(), 'NetworkPolicy')) {
      expect(policy.metadata.namespace).toBe('fcfs-data');
      expect(() => new networkingV1.NetworkPolicy(policy as any).validate()).not.toThrow();
    }
  });
});
