// Every overlay renders with `kubectl kustomize`, and every object validates: Kubernetes kinds
// against the Kubernetes OpenAPI schema (kubernetes-models), Gateway API, Prometheus Operator and
// KEDA kinds against their @kubernetes-models packages (none of these rejects unknown fields),
// Strimzi kinds against the CRDs of the pinned Strimzi release (strimzi.ts), which must also
// reject a set of known-wrong resources.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import * as gatewayV1 from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import * as kedaV1alpha1 from '@kubernetes-models/keda/keda.sh/v1alpha1';
import * as monitoringV1 from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';
import { OVERLAYS, describe_, render, type K8sObject } from './manifests';
import { validateStrimzi, validateStrimziSchema, STRIMZI_KINDS } from './strimzi';
import { strimziCrds } from './strimzi-crds';

type Model = new (data: unknown) => { validate(): void };
const MODELS: Record<string, Record<string, unknown>> = {
  v1: coreV1,
  'apps/v1': appsV1,
  'batch/v1': batchV1,
  'autoscaling/v2': autoscalingV2,
  'policy/v1': policyV1,
  'networking.k8s.io/v1': networkingV1,
  'gateway.networking.k8s.io/v1': gatewayV1,
  'monitoring.coreos.com/v1': monitoringV1,
  'keda.sh/v1alpha1': kedaV1alpha1,
};

function validateKubernetes(object: K8sObject): void {
  const model = MODELS[object.apiVersion]?.[object.kind] as Model | undefined;
  if (model === undefined) throw new Error(`${describe_(object)}: no schema for ${object.apiVersion} ${object.kind}`);
  try {
    new model(object).validate();
  } catch (err) {
    const details = ((err as { errors?: { instancePath: string; message?: string }[] }).errors ?? [])
      .map((e) => `${e.instancePath} ${e.message ?? ''}`)
      .join('; ');
    throw new Error(`${describe_(object)} (${object.apiVersion}) is not valid: ${details || (err as Error).message}`);
  }
}

// The first run generates Strimzi's CRDs with Maven (downloads included), later runs read the cache.
beforeAll(() => strimziCrds(), 600_000);

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  it('renders with kubectl kustomize', () => {
    const objects = render(overlay);
    const kinds = new Set(objects.map((o) => o.kind));
    const expected = ['Deployment', 'Service', 'ServiceAccount', 'ConfigMap', 'Job', 'Gateway', 'HTTPRoute', 'NetworkPolicy'];
    if (overlay === 'prod') expected.push('ScaledObject', 'ServiceMonitor', 'PodMonitor', 'PrometheusRule');
    for (const kind of expected) {
      expect({ overlay, kind, present: kinds.has(kind) }).toEqual({ overlay, kind, present: true });
    }
  });

  it('validates every object against its schema', () => {
    const problems: string[] = [];
    for (const object of render(overlay)) {
      try {
        if (STRIMZI_KINDS.has(object.kind)) validateStrimzi(object, render(overlay));
        else validateKubernetes(object);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    expect(problems).toEqual([]);
  });

  it('puts everything in one namespace and never a Secret in the manifests', () => {
    const objects = render(overlay);
    const namespaces = new Set(objects.map((o) => o.metadata.namespace));
    expect([...namespaces]).toEqual([overlay === 'prod' ? 'fcfs' : 'fcfs-dev']);
    expect(objects.filter((o) => o.kind === 'Secret').map(describe_)).toEqual([]);
  });
});

describe('the Strimzi check', () => {
  const wrong = parseAllDocuments(readFileSync(join(__dirname, 'fixtures/strimzi-invalid.yaml'), 'utf8')).map(
    (doc) => doc.toJS() as K8sObject,
  );
  const rejection = (object: K8sObject): string => {
    try {
      validateStrimziSchema(object);
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };

  it.each([
    [
      'Kafka/legacy',
      [
        /spec\.zookeeper|unknown field zookeeper/,
        /unknown field replicas/,
        /unknown field storage/,
        /strimzi\.io\/kraft is ignored/,
      ],
    ],
    ['Kafka/old-api', [/kafka\.strimzi\.io\/v1beta2 is not served .*served: kafka\.strimzi\.io\/v1\)/]],
    ['KafkaTopic/typo', [/spec: unknown field partiton/]],
    ['KafkaNodePool/zk', [/spec\.roles\.1: must be equal to one of the allowed values/]],
  ])('rejects the wrong fixture %s for the expected reasons', (name, reasons) => {
    const object = wrong.find((o) => `${o.kind}/${o.metadata.name}` === name);
    expect(object).toBeDefined();
    const message = rejection(object!);
    for (const reason of reasons) expect(message).toMatch(reason);
  });
});
