// The manifests against what each part reads and listens on: its configSchema (src/config.ts)
// parsed with the environment the rendered manifests give its container, in production mode.
import { loadPartConfig, placeholderSecrets, defaultOf, type PartConfig } from './config-schemas';
import {
  OVERLAYS,
  PARTS,
  all,
  container,
  containerEnvironment,
  describe_,
  find,
  landedParts,
  portNumber,
  render,
  type K8sObject,
  type Overlay,
  type Part,
} from './manifests';

const { landed, missing } = landedParts();
const configs = new Map<string, PartConfig>(landed.map((part) => [part.name, loadPartConfig(part)]));
const environment = (overlay: Overlay, part: Part): Record<string, string> =>
  containerEnvironment(render(overlay), find(render(overlay), 'Deployment', part.name), placeholderSecrets);

/** What a part actually uses for `key`: the manifests' value, else the schema's default. */
function effective(overlay: Overlay, part: Part, key: string): string | undefined {
  const value = environment(overlay, part)[key];
  if (value !== undefined) return value;
  const fallback = defaultOf(configs.get(part.name)!, key);
  return fallback === undefined ? undefined : String(fallback);
}

it('has the config and entry point of every part (a part that has not landed is not checked)', () => {
  expect(missing).toEqual([]);
});

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  describe.each(landed.map((p) => [p.name, p] as const))('%s', (_name, part) => {
    const config = (): PartConfig => configs.get(part.name)!;
    const deployment = (): K8sObject => find(render(overlay), 'Deployment', part.name);

    it('sets every variable the config requires, and every endpoint whose default is this machine', () => {
      const env = environment(overlay, part);
      const unset = [...config().required, ...config().localDefaults].filter((key) => env[key] === undefined);
      expect({ deployment: `${overlay} ${describe_(deployment())}`, unset }).toEqual({
        deployment: `${overlay} ${describe_(deployment())}`,
        unset: [],
      });
    });

    it('starts with the manifests environment in production mode', () => {
      const env = environment(overlay, part);
      expect(env['NODE_ENV']).toBe('production');
      const result = config().schema.safeParse(env);
      const issues = result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      expect({ deployment: `${overlay} ${describe_(deployment())}`, issues }).toEqual({
        deployment: `${overlay} ${describe_(deployment())}`,
        issues: [],
      });
    });

    it('listens on all interfaces, on the ports the container declares', () => {
      const env = environment(overlay, part);
      const where = `${overlay} ${describe_(deployment())}`;
      for (const key of config().keys.filter((k) => k.endsWith('_HOST'))) {
        expect({ where, key, value: env[key] }).toEqual({ where, key, value: '0.0.0.0' });
      }
      const listening = config()
        .keys.filter((k) => k.endsWith('_PORT'))
        .map((k) => Number(effective(overlay, part, k)))
        .filter((port) => port > 0)
        .sort();
      const declared = (container(deployment()).ports ?? []).map((p: { containerPort: number }) => p.containerPort).sort();
      expect({ where, ports: declared }).toEqual({ where, ports: listening });
    });

    it('probes the port and protocol the part serves', () => {
      const c = container(deployment());
      const where = `${overlay} ${describe_(deployment())}`;
      const port = (probe: string, p: string | number): number => portNumber(c, p, `${where} ${probe}`);
      const mainPort = Number(effective(overlay, part, part.protocol === 'grpc' ? 'GRPC_PORT' : 'BFF_PORT'));
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        expect({ where, probe, present: c[probe] !== undefined }).toEqual({ where, probe, present: true });
      }
      if (part.protocol === 'grpc') {
        // Native gRPC probes: grpc.health.v1 on the gRPC port.
        for (const probe of ['startupProbe', 'readinessProbe']) {
          expect({ where, probe, grpcPort: c[probe].grpc?.port }).toEqual({ where, probe, grpcPort: mainPort });
        }
        const metricsPort = Number(effective(overlay, part, 'METRICS_PORT'));
        const live = c.livenessProbe.httpGet;
        expect({ where, liveness: live && [live.path, port('livenessProbe', live.port)] }).toEqual({
          where,
          liveness: ['/healthz', metricsPort],
        });
      } else {
        const ready = c.readinessProbe.httpGet;
        const live = c.livenessProbe.httpGet;
        expect({ where, readiness: [ready?.path, port('readinessProbe', ready?.port)] }).toEqual({
          where,
          readiness: ['/readyz', mainPort],
        });
        expect({ where, liveness: [live?.path, port('livenessProbe', live?.port)] }).toEqual({
          where,
          liveness: ['/healthz', mainPort],
        });
      }
    });

    it('drains before it is killed: preStop pause, then a grace period longer than pause + drain', () => {
      const spec = deployment().spec.template.spec;
      const c = container(deployment());
      const pause = Number(c.lifecycle?.preStop?.exec?.command?.[1] ?? c.lifecycle?.preStop?.sleep?.seconds ?? NaN);
      const where = `${overlay} ${describe_(deployment())}`;
      expect({ where, preStopPause: pause > 0 }).toEqual({ where, preStopPause: true });
      // kit's createShutdown bounds the drain at 25 s unless the part configures its own.
      const drainKey = config().keys.find((k) => /SHUTDOWN|DRAIN|GRACE/.test(k));
      const drainSeconds = drainKey ? Number(effective(overlay, part, drainKey)) / (drainKey.endsWith('_MS') ? 1000 : 1) : 25;
      expect({ where, terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds > pause + drainSeconds }).toEqual({
        where,
        terminationGracePeriodSeconds: true,
      });
    });
  });

  it('points every *_ADDRESS at a Service whose port reaches the target gRPC port', () => {
    const objects = render(overlay);
    const problems: string[] = [];
    for (const part of landed) {
      for (const [key, value] of Object.entries(environment(overlay, part)).filter(([k]) => k.endsWith('_ADDRESS'))) {
        const [host = '', port = ''] = value.split(':');
        const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === host);
        const target = PARTS.find((p) => p.name === host);
        if (!service || !target) {
          problems.push(`${part.name} ${key}=${value}: no Service or part named ${host}`);
          continue;
        }
        const servicePort = service.spec.ports.find((p: { port: number }) => p.port === Number(port));
        if (!servicePort) {
          problems.push(`${part.name} ${key}=${value}: Service/${host} has no port ${port}`);
          continue;
        }
        const targetContainer = container(find(objects, 'Deployment', host));
        // A headless Service's DNS names the pods: clients connect to the address's port itself.
        const headless = service.spec.clusterIP === 'None';
        const reaches = headless
          ? Number(port)
          : portNumber(targetContainer, servicePort.targetPort ?? servicePort.port, `Service/${host}`);
        const grpcPort = configs.has(host) ? Number(effective(overlay, target, 'GRPC_PORT')) : reaches;
        if (reaches !== grpcPort)
          problems.push(`Service/${host} port ${port} reaches ${reaches}, but ${host} serves gRPC on ${grpcPort}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('makes the Service of every gRPC part headless, so its clients balance over the pods', () => {
    const grpcServices = PARTS.filter((p) => p.protocol === 'grpc').map((p) => find(render(overlay), 'Service', p.name));
    expect(grpcServices.map((s) => [s.metadata.name, s.spec.clusterIP])).toEqual(
      grpcServices.map((s) => [s.metadata.name, 'None']),
    );
  });

  it('selects a Deployment with every Service, and targets ports its containers declare', () => {
    const objects = render(overlay);
    const problems: string[] = [];
    for (const service of all(objects, 'Service')) {
      const selector: Record<string, string> = service.spec.selector ?? {};
      const matches = all(objects, 'Deployment').filter((d) =>
        Object.entries(selector).every(([k, v]) => d.spec.template.metadata.labels?.[k] === v),
      );
      if (matches.length !== 1) {
        problems.push(`${describe_(service)}: selector matches ${matches.length} Deployments`);
        continue;
      }
      for (const port of service.spec.ports) {
        try {
          portNumber(container(matches[0]!), port.targetPort ?? port.port, `${describe_(service)} port ${port.name}`);
        } catch (err) {
          problems.push((err as Error).message);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('agrees across parts on what they share (topics, group, Redis prefix, endpoints)', () => {
    const perPart = new Map<string, string[]>();
    for (const part of landed) {
      for (const key of configs.get(part.name)!.keys) {
        // Each part's own identity (its Redis user, KafkaUser, service key) differs on purpose.
        if (
          /^(GRPC_|METRICS_PORT$|NODE_ENV$|LOG_LEVEL$|REDIS_(USERNAME|PASSWORD)$|KAFKA_SASL_(USERNAME|PASSWORD)$|SERVICE_TOKEN_PRIVATE_KEY$)/.test(
            key,
          )
        )
          continue;
        perPart.set(key, [...(perPart.get(key) ?? []), part.name]);
      }
    }
    const disagreements: string[] = [];
    for (const [key, parts] of perPart) {
      const values = new Set(
        parts.map((name) =>
          effective(
            overlay,
            PARTS.find((p) => p.name === name)!,
            key,
          ),
        ),
      );
      if (parts.length > 1 && values.size > 1) disagreements.push(`${key}: ${parts.join(', ')} see ${[...values].join(' | ')}`);
    }
    expect(disagreements).toEqual([]);
  });

  it('lets each service accept its callers only, and only the BFF take outside traffic', () => {
    const objects = render(overlay);
    const policies = all(objects, 'NetworkPolicy');
    expect(
      policies.some(
        (p) => Object.keys(p.spec.podSelector ?? {}).length === 0 && p.spec.policyTypes?.includes('Ingress') && !p.spec.ingress,
      ),
    ).toBe(true);
    const problems: string[] = [];
    for (const part of PARTS) {
      const c = container(find(objects, 'Deployment', part.name));
      const labels = find(objects, 'Deployment', part.name).spec.template.metadata.labels;
      const mainPort = portNumber(c, part.protocol === 'grpc' ? 'grpc' : 'http', part.name);
      const selecting = policies.filter((p) =>
        Object.entries(p.spec.podSelector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v),
      );
      const allowed = new Set<string>();
      for (const policy of selecting) {
        for (const rule of policy.spec.ingress ?? []) {
          const ports: number[] | undefined = rule.ports?.map((p: { port: number | string }) =>
            portNumber(c, p.port, describe_(policy)),
          );
          if (ports && !ports.includes(mainPort)) continue;
          if (!rule.from) allowed.add(`anyone (${describe_(policy)})`);
          for (const peer of rule.from ?? []) {
            const ns = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
            const app = peer.podSelector?.matchLabels?.['app.kubernetes.io/name'];
            allowed.add(ns ? `namespace ${ns}` : (app ?? `unrestricted peer (${describe_(policy)})`));
          }
        }
      }
      // Callers: the parts whose configuration holds an address of this part.
      const callers = landed
        .filter((p) =>
          Object.entries(environment(overlay, p)).some(([k, v]) => k.endsWith('_ADDRESS') && v.startsWith(`${part.name}:`)),
        )
        .map((p) => p.name);
      // The BFF takes outside traffic from the Gateway's proxies (Envoy Gateway's namespace) and
      // serves /metrics on its HTTP port: Prometheus is its second peer there.
      const expected = part.protocol === 'http' ? ['namespace envoy-gateway-system', 'namespace monitoring'] : callers;
      const seen = [...allowed].sort();
      if (JSON.stringify(seen) !== JSON.stringify([...expected].sort())) {
        problems.push(
          `${part.name} port ${mainPort}: NetworkPolicies admit [${seen.join(', ')}], callers are [${expected.join(', ')}]`,
        );
      }
    }
    expect(problems).toEqual([]);
  });
});
