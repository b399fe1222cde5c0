/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are untyped JSON; the checks read fields by name */
// The production shape: every container bounded and locked down; prod scales, spreads and
// survives disruptions.
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

  it('keeps WebSocket connections open through the Ingress to the BFF', () => {
    const ingress = find(render(overlay), 'Ingress', 'bff');
    const annotations = ingress.metadata.annotations ?? {};
    expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
    expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
    const backends = ingress.spec.rules.flatMap((r: any) => r.http.paths.map((p: any) => p.backend.service));
    expect(backends.map((b: any) => b.name)).toEqual(['bff']);
    expect(all(render(overlay), 'Ingress').map(describe_)).toEqual(['Ingress/bff']);
  });
});

describe('overlay prod', () => {
  const objects = () => render('prod');

  it('autoscales bff and event on CPU, and leaves their replica count to the autoscaler', () => {
    for (const name of ['bff', 'event']) {
      const hpa = all(objects(), 'HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.name === name);
      expect({
        name,
        cpu: hpa?.spec.metrics.some((m: any) => m.resource?.name === 'cpu'),
        minReplicas: (hpa?.spec.minReplicas ?? 0) >= 2,
      }).toEqual({
        name,
        cpu: true,
        minReplicas: true,
      });
      expect({ name, replicas: find(objects(), 'Deployment', name).spec.replicas }).toEqual({ name, replicas: undefined });
    }
  });

  it.each(PARTS.map((p) => p.name))('runs %s on several replicas spread over zones, under a disruption budget', (name) => {
    const deployment = find(objects(), 'Deployment', name);
    const hpa = all(objects(), 'HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.name === name);
    expect(deployment.spec.replicas ?? hpa?.spec.minReplicas).toBeGreaterThanOrEqual(2);
    const zone = deployment.spec.template.spec.topologySpreadConstraints?.find(
      (t: any) => t.topologyKey === 'topology.kubernetes.io/zone',
    );
    expect(zone?.labelSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': name });
    const pdb = all(objects(), 'PodDisruptionBudget').find((p) => p.spec.selector.matchLabels['app.kubernetes.io/name'] === name);
    expect(pdb).toBeDefined();
  });
});
