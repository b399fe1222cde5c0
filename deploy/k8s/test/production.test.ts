/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are untyped JSON; the checks read fields by name */
// The production shape: every container bounded and locked down; one Gateway in front of the
// BFF; prod scales (KEDA), spreads and survives disruptions.
import { OVERLAYS, PARTS, all, container, describe_, find, render } from './manifests';

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  it('sets requests and limits and a locked-down security context on every container', () => {
    const problems: string[] = [];
    for (const workload of [...all(render(overlay), 'Deployment'), ...all(render(overlay), 'Job')]) {
      const pod = workload.spec.template.spec;
      const c = container(workload);
      for (const kind of ['requests', 'limits']) {
        for (const resource of ['cpu', 'memory']) {
          if (!c.resources?.[kind]?.[resource]) problems.push(`${describe_(workload)}: resources.${kind}.${resource} missing`);
        }
      }
      if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${describe_(workload)}: securityContext.runAsNonRoot`);
      if (c.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${describe_(workload)}: readOnlyRootFilesystem`);
      if (c.securityContext?.allowPrivilegeEscalation !== false)
        problems.push(`${describe_(workload)}: allowPrivilegeEscalation`);
      if (pod.automountServiceAccountToken !== false) problems.push(`${describe_(workload)}: automountServiceAccountToken`);
      const account = all(render(overlay), 'ServiceAccount').find((a) => a.metadata.name === pod.serviceAccountName);
      if (!account) problems.push(`${describe_(workload)}: serviceAccountName ${pod.serviceAccountName} is not rendered`);
    }
    expect(problems).toEqual([]);
  });

  it('routes GraphQL (WebSocket included) and the web app through the Gateway to the BFF only', () => {
    const objects = render(overlay);
    const [gateway, ...otherGateways] = all(objects, 'Gateway');
    expect(otherGateways).toEqual([]);
    const https = gateway!.spec.listeners.find((l: any) => l.protocol === 'HTTPS');
    expect(https?.tls?.certificateRefs?.map((r: any) => r.name)).toEqual(['fcfs-tls']);
    const route = find(objects, 'HTTPRoute', 'bff');
    expect(route.spec.parentRefs).toEqual([{ name: gateway!.metadata.name, sectionName: https.name }]);
    expect(route.spec.hostnames).toEqual([https.hostname]);
    const backends = new Set(route.spec.rules.flatMap((r: any) => r.backendRefs.map((b: any) => `${b.name}:${b.port}`)));
    const service = find(objects, 'Service', 'bff');
    expect([...backends]).toEqual([`bff:${service.spec.ports.find((p: any) => p.name === 'http').port}`]);
    const ruleFor = (path: string, upgrade: boolean): any =>
      route.spec.rules.find((r: any) =>
        r.matches.some(
          (m: any) =>
            (m.path.value === path || (m.path.type === 'PathPrefix' && path.startsWith(m.path.value))) &&
            (m.headers ?? []).some((h: any) => h.name.toLowerCase() === 'upgrade' && h.value === 'websocket') === upgrade,
        ),
      );
    const seconds = (duration: string): number => Number(/^(\d+)s$/.exec(duration)?.[1] ?? NaN);
    // Idle graphql-ws subscriptions stay open for an hour; requests are bounded.
    expect(seconds(ruleFor('/graphql', true)?.timeouts?.request)).toBeGreaterThanOrEqual(3600);
    expect(seconds(ruleFor('/graphql', false)?.timeouts?.request)).toBeLessThanOrEqual(60);
    expect(ruleFor('/', false)).toBeDefined();
    // Plain HTTP only redirects.
    const http = gateway!.spec.listeners.find((l: any) => l.protocol === 'HTTP');
    const redirect = all(objects, 'HTTPRoute').find((r) => r.spec.parentRefs.some((p: any) => p.sectionName === http.name));
    expect(redirect?.spec.rules.map((r: any) => r.filters?.[0]?.requestRedirect?.scheme)).toEqual(['https']);
  });
});

describe('overlay prod', () => {
  const objects = () => render('prod');

  const scaledObject = (name: string): any =>
    all(objects(), 'ScaledObject').find(
      (o) => o.spec.scaleTargetRef.kind === 'Deployment' && o.spec.scaleTargetRef.name === name,
    );

  it('scales bff and event up on a cron before an opening and on CPU, and leaves their count to KEDA', () => {
    expect(all(objects(), 'HorizontalPodAutoscaler').map(describe_)).toEqual([]);
    for (const name of ['bff', 'event']) {
      const scaled = scaledObject(name);
      const cron = scaled?.spec.triggers.find((t: any) => t.type === 'cron');
      expect({
        name,
        cpu: scaled?.spec.triggers.some((t: any) => t.type === 'cpu'),
        cronAboveMin: Number(cron?.metadata.desiredReplicas) > scaled?.spec.minReplicaCount,
        cronWithinMax: Number(cron?.metadata.desiredReplicas) <= scaled?.spec.maxReplicaCount,
        cronTimes: [cron?.metadata.start, cron?.metadata.end].every((t) => /^\S+( \S+){4}$/.test(t ?? '')),
        minReplicas: scaled?.spec.minReplicaCount >= 2,
      }).toEqual({ name, cpu: true, cronAboveMin: true, cronWithinMax: true, cronTimes: true, minReplicas: true });
    }
  });

  it('scales every KEDA target only through KEDA (no replicas in the Deployment)', () => {
    for (const scaled of all(objects(), 'ScaledObject')) {
      const name = scaled.spec.scaleTargetRef.name;
      expect({ name, replicas: find(objects(), 'Deployment', name).spec.replicas }).toEqual({ name, replicas: undefined });
    }
  });

  it.each(PARTS.map((p) => p.name))('runs %s on several replicas spread over zones, under a disruption budget', (name) => {
    const deployment = find(objects(), 'Deployment', name);
    expect(deployment.spec.replicas ?? scaledObject(name)?.spec.minReplicaCount).toBeGreaterThanOrEqual(2);
    const zone = deployment.spec.template.spec.topologySpreadConstraints?.find(
      (t: any) => t.topologyKey === 'topology.kubernetes.io/zone',
    );
    expect(zone?.labelSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': name });
    const pdb = all(objects(), 'PodDisruptionBudget').find((p) => p.spec.selector.matchLabels['app.kubernetes.io/name'] === name);
    expect(pdb).toBeDefined();
  });
});
