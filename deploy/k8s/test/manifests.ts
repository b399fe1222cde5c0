/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are untyped JSON; the checks read fields by name */
// Renders the overlays with `kubectl kustomize` and answers questions about the rendered objects.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = resolve(__dirname, '../../..');
export const K8S = resolve(__dirname, '..');
export const OVERLAYS = ['dev', 'prod'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** A rendered Kubernetes object, loosely typed: the tests read the fields they check. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

/** A part of the platform as the cluster runs it. */
export interface Part {
  name: 'auth' | 'event' | 'issuer' | 'bff';
  /** The workspace holding `src/config.ts` (configSchema) and `src/main.ts`. */
  dir: string;
  /** gRPC services listen on GRPC_PORT (+ METRICS_PORT); the BFF on BFF_PORT. */
  protocol: 'grpc' | 'http';
}

export const PARTS: readonly Part[] = [
  { name: 'auth', dir: 'services/auth', protocol: 'grpc' },
  { name: 'event', dir: 'services/event', protocol: 'grpc' },
  { name: 'issuer', dir: 'services/issuer', protocol: 'grpc' },
  { name: 'bff', dir: 'bff', protocol: 'http' },
];

/** The parts whose config and entry point have landed; the others are reported, not skipped silently. */
export function landedParts(): { landed: Part[]; missing: string[] } {
  const landed: Part[] = [];
  const missing: string[] = [];
  for (const part of PARTS) {
    const files = ['src/config.ts', 'src/main.ts'].map((f) => join(part.dir, f));
    const absent = files.filter((f) => !existsSync(join(ROOT, f)));
    if (absent.length === 0) landed.push(part);
    else missing.push(...absent);
  }
  return { landed, missing };
}

const rendered = new Map<Overlay | 'data-tier', K8sObject[]>();

/** `kubectl kustomize deploy/k8s/overlays/<overlay>`, parsed; throws with kubectl's own error. */
/** An overlay, or `data-tier` (deploy/k8s/data-tier: the Redis and MySQL namespace's policies). */
export function render(overlay: Overlay | 'data-tier'): K8sObject[] {
  const cached = rendered.get(overlay);
  if (cached) return cached;
  const dir = overlay === 'data-tier' ? join(K8S, 'data-tier') : join(K8S, 'overlays', overlay);
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
  if (result.error) throw new Error(`could not run kubectl (install Debian's kubernetes-client): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`);
  const objects = parseAllDocuments(result.stdout).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`overlay ${overlay}: document ${i} is not valid YAML: ${doc.errors[0]?.message}`);
    return doc.toJS() as K8sObject | null;
  });
  const list = objects.filter((o): o is K8sObject => o !== null);
  rendered.set(overlay, list);
  return list;
}

export const describe_ = (o: K8sObject): string => `${o.kind}/${o.metadata.name}`;

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} in the rendered manifests`);
  return found;
}

export function all(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** ConfigMaps are generated with a hash suffix (`fcfs-shared-7f9c...`): find one by its referenced name. */
export function configMap(objects: K8sObject[], name: string): K8sObject {
  return find(objects, 'ConfigMap', name);
}

/** The single container of a Deployment or Job named after the part. */
export function container(workload: K8sObject): any {
  const containers: any[] = workload.spec?.template?.spec?.containers ?? [];
  const found = containers.find((c) => c.name === workload.metadata.name);
  if (!found) throw new Error(`${describe_(workload)}: no container named ${workload.metadata.name}`);
  return found;
}

/** A fake but well-formed value for every Secret key the manifests reference (Secrets are never committed). */
export type SecretValues = (secret: string, key: string) => string;

/**
 * The environment Kubernetes would give a container: envFrom ConfigMaps first, then `env` in
 * order with `$(VAR)` references expanded against what is defined so far (kubelet's rules).
 * Secret references become `secrets(name, key)`; references to missing ConfigMaps or keys throw.
 */
export function containerEnvironment(objects: K8sObject[], workload: K8sObject, secrets: SecretValues): Record<string, string> {
  const where = describe_(workload);
  const c = container(workload);
  const env: Record<string, string> = {};
  for (const source of c.envFrom ?? []) {
    if (source.configMapRef) {
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === source.configMapRef.name);
      if (!cm) throw new Error(`${where}: envFrom names ConfigMap ${source.configMapRef.name}, which is not rendered`);
      Object.assign(env, cm.data ?? {});
    } else if (source.secretRef) {
      throw new Error(`${where}: envFrom secretRef hides which keys are needed; reference each key with secretKeyRef`);
    }
  }
  for (const variable of c.env ?? []) {
    const from = variable.valueFrom;
    if (from?.secretKeyRef) {
      env[variable.name] = secrets(from.secretKeyRef.name, from.secretKeyRef.key);
    } else if (from?.configMapKeyRef) {
      const { name, key } = from.configMapKeyRef;
      const value = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)?.data?.[key];
      if (value === undefined)
        throw new Error(`${where}: env ${variable.name} reads ConfigMap ${name} key ${key}, which does not exist`);
      env[variable.name] = value;
    } else if (from) {
      throw new Error(`${where}: env ${variable.name} uses an unsupported valueFrom`);
    } else {
      env[variable.name] = String(variable.value ?? '').replace(
        /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
        (_ref: string, name: string) => {
          const value = env[name];
          if (value === undefined)
            throw new Error(`${where}: env ${variable.name} refers to $(${name}), defined nowhere before it`);
          return value;
        },
      );
    }
  }
  return env;
}

/** Resolves a named container port (`grpc`) or a number to the number. */
export function portNumber(c: any, port: string | number, where: string): number {
  if (typeof port === 'number') return port;
  const found = (c.ports ?? []).find((p: any) => p.name === port);
  if (!found) throw new Error(`${where}: port ${port} is not a container port of ${c.name}`);
  return found.containerPort;
}
