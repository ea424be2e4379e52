import { defaultPodSpec, defaultPodTemplate, imageTag } from './pod-defaults';

const clone = <T>(v: T): T => structuredClone(v);

describe('pod spec defaulting', () => {
  it.each([
    ['nginx', 'latest'],
    ['nginx:latest', 'latest'],
    ['nginx:1.27', '1.27'],
    ['localhost:5000/nginx', 'latest'],
    ['localhost:5000/team/nginx:1.27', '1.27'],
    ['nginx@sha256:abcd', undefined],
    ['nginx:1.27@sha256:abcd', '1.27'],
  ])('reads the tag of %s as kubelet would (%s)', (image, tag) => {
    expect(imageTag(image)).toBe(tag);
  });

  it("fills in SetDefaults_PodSpec, SetDefaults_Container, ports, probes, env and volumes", () => {
    const spec = {
      containers: [
        {
          name: 'app',
          image: 'nginx',
          ports: [{ containerPort: 80 }],
          readinessProbe: { httpGet: { port: 80 } },
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        },
        { name: 'side', image: 'busybox:1.36', imagePullPolicy: 'Never' },
      ],
      volumes: [{ name: 'scratch' }, { name: 'conf', configMap: { name: 'c' } }],
    };
    defaultPodSpec(spec);
    expect(spec).toEqual({
      containers: [
        {
          name: 'app',
          image: 'nginx',
          imagePullPolicy: 'Always',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          readinessProbe: { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName', apiVersion: 'v1' } } }],
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
        {
          name: 'side',
          image: 'busybox:1.36',
          imagePullPolicy: 'Never',
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'conf', configMap: { name: 'c', defaultMode: 420 } },
      ],
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Always',
      securityContext: {},
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
    });
  });

  it('keeps what was given, and gives a host-network pod host ports', () => {
    const spec = {
      hostNetwork: true,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      serviceAccount: 'proxy',
      containers: [{ name: 'p', image: 'kube-proxy:v1.32.4', ports: [{ containerPort: 10249, protocol: 'UDP' }] }],
    };
    defaultPodSpec(spec);
    expect(spec).toMatchObject({
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      serviceAccountName: 'proxy',
      serviceAccount: 'proxy',
      containers: [{ imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 10249, protocol: 'UDP', hostPort: 10249 }] }],
    });
  });

  it('drops what Go leaves out when it decodes and encodes, and keeps the structs it always writes', () => {
    const spec = {
      hostNetwork: false,
      nodeName: '',
      nodeSelector: {},
      tolerations: [],
      containers: [{ name: 'app', image: 'nginx:1.27', args: [], stdin: false, resources: { limits: {}, requests: {} }, env: [{ name: 'A', value: '' }] }],
      volumes: [{ name: 'scratch', emptyDir: {} }],
    };
    defaultPodSpec(spec);
    expect(spec).not.toHaveProperty('hostNetwork');
    expect(spec).not.toHaveProperty('nodeName');
    expect(spec).not.toHaveProperty('nodeSelector');
    expect(spec).not.toHaveProperty('tolerations');
    expect(spec.containers[0]).not.toHaveProperty('args');
    expect(spec.containers[0]).not.toHaveProperty('stdin');
    expect(spec.containers[0].resources).toEqual({});
    expect(spec.containers[0].env).toEqual([{ name: 'A' }]);
    expect(spec.volumes[0]).toEqual({ name: 'scratch', emptyDir: {} });
  });

  it('gives a template the same form whether it comes from a manifest or back from kubectl', () => {
    const fromManifest = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } };
    defaultPodTemplate(fromManifest);
    expect(fromManifest.metadata).toEqual({ creationTimestamp: null, labels: { app: 'web' } });
    // What kubectl rollout undo sends: the stored template after a trip through Go's types.
    const fromKubectl = clone(fromManifest) as unknown as { metadata: Record<string, unknown>; spec: { containers: Array<Record<string, unknown>> } };
    fromKubectl.spec.containers[0].resources = {};
    fromKubectl.metadata.annotations = {};
    defaultPodTemplate(fromKubectl);
    expect(fromKubectl).toEqual(fromManifest);
    // Defaulting twice changes nothing.
    const again = clone(fromManifest);
    defaultPodTemplate(again);
    expect(again).toEqual(fromManifest);
  });

  it('leaves a malformed spec to validation', () => {
    expect(() => defaultPodSpec('nope')).not.toThrow();
    expect(() => defaultPodSpec({ containers: 'nope' })).not.toThrow();
    expect(() => defaultPodTemplate({ spec: { containers: [null, 3] } })).not.toThrow();
  });
});
