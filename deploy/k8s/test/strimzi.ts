/* eslint-disable @typescript-eslint/no-explicit-any -- CRD schemas and rendered manifests are untyped JSON */
// Strimzi's custom resources against the real CRDs of the pinned Strimzi release (strimzi-crds.ts),
// checked with ajv against each served version's openAPIV3Schema, read the way the API server
// reads it with strict field validation (kubectl's default): an unknown field is an error unless
// the schema preserves unknown fields. CEL rules (x-kubernetes-validations) are not evaluated.
// Then the cross-object rules the schema cannot express (a topic's cluster, replicas <= brokers).
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { describe_, type K8sObject } from './manifests';
import { strimziCrds } from './strimzi-crds';

export const STRIMZI_GROUP = 'kafka.strimzi.io';
export const STRIMZI_KINDS = new Set(['Kafka', 'KafkaNodePool', 'KafkaTopic', 'KafkaUser']);
// Pre-1.0 switches that Strimzi 1.x no longer reads: KRaft and node pools are the only mode.
const OBSOLETE_ANNOTATIONS = ['strimzi.io/kraft', 'strimzi.io/node-pools'];
// The Kafka versions Strimzi 1.2.0 ships images for (its release notes; the CRD leaves
// spec.kafka.version a free string). Change with strimzi.version in strimzi-crds/pom.xml.
export const STRIMZI_KAFKA_VERSIONS = ['4.2.0', '4.2.1', '4.3.0', '4.3.1'];

/** A structural CRD schema as a JSON schema: closed objects, int-or-string as a union. */
function toJsonSchema(node: any): any {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: any = {};
  for (const [key, value] of Object.entries(node)) {
    // Field names under `properties` are data, not keywords: convert their schemas only.
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, toJsonSchema(v)]))
        : toJsonSchema(value);
  }
  if (out['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  const open = out['x-kubernetes-preserve-unknown-fields'] === true || 'additionalProperties' in out;
  if (out.type === 'object' && out.properties && !open) out.additionalProperties = false;
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const validators = new Map<string, ValidateFunction>();

function validatorFor(kind: string, version: string): ValidateFunction | undefined {
  const key = `${kind}/${version}`;
  const cached = validators.get(key);
  if (cached) return cached;
  const crd = strimziCrds().get(kind);
  if (!crd) throw new Error(`no Strimzi CRD for ${kind} was generated`);
  const served = crd.spec.versions.find((v) => v.name === version && v.served);
  if (!served) return undefined;
  const validate = ajv.compile(toJsonSchema(served.schema.openAPIV3Schema));
  validators.set(key, validate);
  return validate;
}

const describeError = (e: ErrorObject): string => {
  const where = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(root)';
  if (e.keyword === 'additionalProperties') return `${where}: unknown field ${String(e.params['additionalProperty'])}`;
  return `${where}: ${e.message ?? e.keyword}`;
};

/** Throws naming the object and the fields when it does not match the CRD the operator installs. */
export function validateStrimziSchema(object: K8sObject): void {
  const [group, version = ''] = object.apiVersion.split('/');
  const crd = strimziCrds().get(object.kind);
  if (group !== STRIMZI_GROUP || !crd)
    throw new Error(`${describe_(object)}: ${object.apiVersion} ${object.kind} is not a Strimzi kind`);
  const validate = validatorFor(object.kind, version);
  if (!validate) {
    const served = crd.spec.versions.filter((v) => v.served).map((v) => `${STRIMZI_GROUP}/${v.name}`);
    throw new Error(
      `${describe_(object)}: ${object.apiVersion} is not served by Strimzi's ${object.kind} CRD (served: ${served.join(', ')})`,
    );
  }
  const problems = validate(object) ? [] : (validate.errors ?? []).map(describeError);
  for (const annotation of OBSOLETE_ANNOTATIONS) {
    if (object.metadata.annotations?.[annotation] !== undefined)
      problems.push(`metadata.annotations: ${annotation} is ignored since Strimzi 1.0 (KRaft and node pools only)`);
  }
  if (problems.length > 0)
    throw new Error(`${describe_(object)} is not a valid Strimzi ${object.kind}: ${[...new Set(problems)].join('; ')}`);
}

/** The schema, then what ties the objects together: a pool's or topic's cluster, a topic's replication. */
export function validateStrimzi(object: K8sObject, objects: K8sObject[]): void {
  validateStrimziSchema(object);
  if (object.kind === 'Kafka') {
    const version = object.spec.kafka.version;
    if (version !== undefined && !STRIMZI_KAFKA_VERSIONS.includes(version))
      throw new Error(
        `${describe_(object)}: Kafka ${version} is not one Strimzi 1.2.0 runs (${STRIMZI_KAFKA_VERSIONS.join(', ')})`,
      );
    return;
  }
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
