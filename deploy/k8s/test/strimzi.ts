// Strimzi's custom resources are not in kubernetes-models: a hand-written zod check of the fields
// this platform relies on (KRaft with node pools, listeners, replication, topics), strict where a
// typo would silently change behaviour (a KafkaTopic's spec).
import { z } from 'zod';
import { describe_, type K8sObject } from './manifests';

export const STRIMZI_KINDS = new Set(['Kafka', 'KafkaNodePool', 'KafkaTopic']);
const API_VERSION = z.literal('kafka.strimzi.io/v1beta2');
const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a DNS-1123 subdomain');
const positiveInt = z.number().int().positive();
const kafkaConfig = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
const resources = z
  .object({
    requests: z.object({ cpu: z.string(), memory: z.string() }).strict(),
    limits: z.object({ cpu: z.string(), memory: z.string() }).strict(),
  })
  .strict();
const clusterLabel = z.object({ 'strimzi.io/cluster': name }).passthrough();

const kafka = z.object({
  apiVersion: API_VERSION,
  kind: z.literal('Kafka'),
  metadata: z.object({
    name,
    annotations: z
      .object({ 'strimzi.io/kraft': z.literal('enabled'), 'strimzi.io/node-pools': z.literal('enabled') })
      .passthrough(),
  }),
  spec: z
    .object({
      kafka: z
        .object({
          version: z.string().regex(/^\d+\.\d+\.\d+$/),
          metadataVersion: z.string().optional(),
          rack: z.object({ topologyKey: z.string() }).strict().optional(),
          listeners: z
            .array(
              z
                .object({
                  name: z.string().regex(/^[a-z0-9]{1,11}$/),
                  port: z.number().int().min(9092),
                  type: z.enum(['internal', 'cluster-ip', 'route', 'loadbalancer', 'nodeport', 'ingress']),
                  tls: z.boolean(),
                  networkPolicyPeers: z
                    .array(z.object({ podSelector: z.object({ matchLabels: z.record(z.string(), z.string()) }) }))
                    .optional(),
                })
                .strict(),
            )
            .min(1),
          config: kafkaConfig,
        })
        .strict(),
      // KRaft: no ZooKeeper section.
      entityOperator: z
        .object({ topicOperator: z.object({}).passthrough(), userOperator: z.object({}).passthrough().optional() })
        .strict(),
      kafkaExporter: z.object({ groupRegex: z.string(), topicRegex: z.string() }).passthrough().optional(),
    })
    .strict(),
});

const nodePool = z.object({
  apiVersion: API_VERSION,
  kind: z.literal('KafkaNodePool'),
  metadata: z.object({ name, labels: clusterLabel }),
  spec: z
    .object({
      replicas: positiveInt,
      roles: z.array(z.enum(['controller', 'broker'])).min(1),
      storage: z
        .object({
          type: z.literal('jbod'),
          volumes: z
            .array(
              z
                .object({
                  id: z.number().int().min(0),
                  type: z.literal('persistent-claim'),
                  size: z.string().regex(/^\d+(Gi|Ti)$/),
                  deleteClaim: z.boolean(),
                  kraftMetadata: z.literal('shared').optional(),
                })
                .strict(),
            )
            .min(1),
        })
        .strict(),
      resources,
      jvmOptions: z.object({ '-Xms': z.string(), '-Xmx': z.string() }).strict().optional(),
    })
    .strict(),
});

const topic = z.object({
  apiVersion: API_VERSION,
  kind: z.literal('KafkaTopic'),
  metadata: z.object({ name, labels: clusterLabel }),
  spec: z
    .object({
      topicName: z
        .string()
        .regex(/^[a-zA-Z0-9._-]{1,249}$/)
        .optional(),
      partitions: positiveInt,
      replicas: positiveInt.max(32767),
      config: kafkaConfig.optional(),
    })
    .strict(),
});

const SCHEMAS: Record<string, z.ZodType> = { Kafka: kafka, KafkaNodePool: nodePool, KafkaTopic: topic };

/** Throws naming the object and the field when a Strimzi resource is malformed or inconsistent. */
export function validateStrimzi(object: K8sObject, objects: K8sObject[]): void {
  const result = SCHEMAS[object.kind]!.safeParse(object);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`${describe_(object)} is not a valid Strimzi ${object.kind}: ${issues}`);
  }
  if (object.kind === 'Kafka') return;
  const cluster = object.metadata.labels?.['strimzi.io/cluster'];
  if (!objects.some((o) => o.kind === 'Kafka' && o.metadata.name === cluster)) {
    throw new Error(`${describe_(object)}: label strimzi.io/cluster=${cluster} names no Kafka in the manifests`);
  }
  if (object.kind === 'KafkaTopic') {
    const brokers = objects
      .filter(
        (o) =>
          o.kind === 'KafkaNodePool' && o.metadata.labels?.['strimzi.io/cluster'] === cluster && o.spec.roles.includes('broker'),
      )
      .reduce((sum, pool) => sum + pool.spec.replicas, 0);
    const minIsr = Number(object.spec.config?.['min.insync.replicas'] ?? 1);
    if (object.spec.replicas > brokers) {
      throw new Error(`${describe_(object)}: spec.replicas ${object.spec.replicas} exceeds the ${brokers} brokers of ${cluster}`);
    }
    if (minIsr > object.spec.replicas) {
      throw new Error(`${describe_(object)}: min.insync.replicas ${minIsr} exceeds spec.replicas ${object.spec.replicas}`);
    }
  }
}
