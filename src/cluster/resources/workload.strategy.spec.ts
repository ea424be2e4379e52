import { DomainError } from '../../common/domain-error';
import { Cluster } from '../cluster';
import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';
import { DaemonSetStrategy, DeploymentStrategy, ReplicaSetStrategy } from './workload.strategy';

const t = (key: string) => resourceTypeByKey(key)!;
const deployments = t('deployments.apps');
const replicasets = t('replicasets.apps');
const daemonsets = t('daemonsets.apps');

function cluster(): Cluster {
  const c = newCluster();
  c.store.registerStrategy(deployments, new DeploymentStrategy());
  c.store.registerStrategy(replicasets, new ReplicaSetStrategy());
  c.store.registerStrategy(daemonsets, new DaemonSetStrategy());
  return c;
}

const template = (labels: Record<string, string> | null = { app: 'web' }, spec: Record<string, unknown> = {}) => ({
  metadata: labels ? { labels } : {},
  spec: { containers: [{ name: 'app', image: 'nginx', ports: [{ containerPort: 80 }] }], ...spec },
});

function refusal(write: () => unknown): DomainError {
  try {
    write();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('the write was accepted');
}

describe('DeploymentStrategy', () => {
  it('defaults a Deployment as the API server does', () => {
    const c = cluster();
    const d = c.store.create(deployments, { metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template() } }, 'default');
    expect(d.spec).toEqual({
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'nginx',
              imagePullPolicy: 'Always',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              resources: {},
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
            },
          ],
          dnsPolicy: 'ClusterFirst',
          restartPolicy: 'Always',
          securityContext: {},
          terminationGracePeriodSeconds: 30,
          schedulerName: 'default-scheduler',
        },
      },
    });
    expect(d.metadata.generation).toBe(1);
  });

  it('ignores a status sent with a new Deployment, ReplicaSet or DaemonSet, as kubectl create sends one', () => {
    const c = cluster();
    const spec = { selector: { matchLabels: { app: 'web' } }, template: template() };
    const sent = { replicas: 5, readyReplicas: 5 };
    expect(c.store.create(deployments, { metadata: { name: 'd' }, spec, status: sent }, 'default').status).toEqual({});
    expect(c.store.create(replicasets, { metadata: { name: 'r' }, spec, status: sent }, 'default').status).toEqual({ replicas: 0 });
    expect(c.store.create(daemonsets, { metadata: { name: 'ds' }, spec, status: { numberReady: 3 } }, 'default').status).toEqual({
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    });
  });

  it.each([
    [
      'no selector',
      { template: template() },
      'Deployment.apps "web" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`]',
    ],
    [
      'a selector that does not match the template',
      { selector: { matchLabels: { app: 'web' } }, template: template({ app: 'api', tier: 'fe' }) },
      'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"api", "tier":"fe"}: `selector` does not match template `labels`',
    ],
    [
      'a template without labels',
      { selector: { matchLabels: { app: 'web' } }, template: template(null) },
      'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`',
    ],
    [
      'an empty selector',
      { selector: {}, template: template() },
      'Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
    ],
    [
      'a selector operator labels do not have',
      { selector: { matchExpressions: [{ key: 'app', operator: 'Gt', values: ['1'] }] }, template: template() },
      'Deployment.apps "web" is invalid: [spec.selector.matchExpressions[0].operator: Invalid value: "Gt": not a valid selector operator, spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"Gt", Values:[]string{"1"}}}}: invalid label selector]',
    ],
    [
      'negative replicas',
      { replicas: -1, selector: { matchLabels: { app: 'web' } }, template: template() },
      'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ],
    [
      'maxSurge and maxUnavailable both 0',
      { selector: { matchLabels: { app: 'web' } }, template: template(), strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } },
      'Deployment.apps "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: may not be 0 when `maxSurge` is 0',
    ],
    [
      'a percentage that is not one',
      { selector: { matchLabels: { app: 'web' } }, template: template(), strategy: { rollingUpdate: { maxSurge: 'lots' } } },
      "Deployment.apps \"web\" is invalid: spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"lots\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    ],
    [
      'maxUnavailable over 100%',
      { selector: { matchLabels: { app: 'web' } }, template: template(), strategy: { rollingUpdate: { maxUnavailable: '150%' } } },
      'Deployment.apps "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
    ],
    [
      'an unknown strategy',
      { selector: { matchLabels: { app: 'web' } }, template: template(), strategy: { type: 'BlueGreen' } },
      'Deployment.apps "web" is invalid: spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"',
    ],
    [
      'Recreate with rollingUpdate',
      { selector: { matchLabels: { app: 'web' } }, template: template(), strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } },
      "Deployment.apps \"web\" is invalid: spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
    ],
    [
      'a restart policy other than Always',
      { selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }, { restartPolicy: 'Never' }) },
      'Deployment.apps "web" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ],
    [
      'a template without containers',
      { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [] } } },
      'Deployment.apps "web" is invalid: spec.template.spec.containers: Required value',
    ],
    [
      'a progress deadline not above minReadySeconds',
      { selector: { matchLabels: { app: 'web' } }, template: template(), minReadySeconds: 30, progressDeadlineSeconds: 30 },
      'Deployment.apps "web" is invalid: spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds',
    ],
  ])('refuses %s', (_what, spec, message) => {
    const c = cluster();
    const e = refusal(() => c.store.create(deployments, { metadata: { name: 'web' }, spec }, 'default'));
    expect(e.code).toBe('INVALID');
    expect(e.message).toBe(message);
  });

  it('names each cause with its field, as a Status does', () => {
    const c = cluster();
    const e = refusal(() => c.store.create(deployments, { metadata: { name: 'web' }, spec: { replicas: -2, template: template() } }, 'default'));
    expect(e.kind).toBe('Deployment');
    expect(e.causes).toEqual([
      { reason: 'FieldValueInvalid', message: 'Invalid value: -2: must be greater than or equal to 0', field: 'spec.replicas' },
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.selector' },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
        field: 'spec.template.metadata.labels',
      },
    ]);
  });

  it('refuses what the JSON decoder would not take', () => {
    const c = cluster();
    const e = refusal(() => c.store.create(deployments, { metadata: { name: 'web' }, spec: { replicas: 'three', selector: { matchLabels: { app: 'web' } }, template: template() } }, 'default'));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field spec.replicas of type int32',
    );
  });

  it('keeps spec.selector immutable; other changes bump the generation', () => {
    const c = cluster();
    c.store.create(deployments, { metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template() } }, 'default');
    const e = refusal(() =>
      c.store.patch(deployments, 'default', 'web', { spec: { selector: { matchLabels: { app: 'web2' } }, template: { metadata: { labels: { app: 'web2' } } } } }),
    );
    expect(e.message).toBe(
      'Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    );
    const scaled = c.store.patch(deployments, 'default', 'web', { spec: { replicas: 3 } });
    expect(scaled.metadata.generation).toBe(2);
  });
});

describe('ReplicaSetStrategy', () => {
  it('defaults replicas to 1 and validates like a Deployment', () => {
    const c = cluster();
    const rs = c.store.create(replicasets, { metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template() } }, 'default');
    expect((rs.spec as { replicas: number }).replicas).toBe(1);
    const e = refusal(() => c.store.create(replicasets, { metadata: { name: 'bad' }, spec: { selector: { matchLabels: { app: 'x' } }, template: template(), minReadySeconds: -1 } }, 'default'));
    expect(e.message).toBe(
      'ReplicaSet.apps "bad" is invalid: [spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0, spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`]',
    );
    const immutable = refusal(() => c.store.patch(replicasets, 'default', 'web', { spec: { selector: { matchLabels: { app: 'web', tier: 'x' } } } }));
    expect(immutable.message).toContain('spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}');
    expect(immutable.message).toContain('field is immutable');
  });
});

describe('DaemonSetStrategy', () => {
  it('defaults the update strategy and counts template generations', () => {
    const c = cluster();
    const ds = c.store.create(daemonsets, { metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: template({ app: 'agent' }) } }, 'default');
    expect(ds.spec).toMatchObject({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 });
    expect(ds.metadata.annotations).toEqual({ 'deprecated.daemonset.template.generation': '1' });
    const other = c.store.patch(daemonsets, 'default', 'agent', { spec: { minReadySeconds: 5 } });
    expect([other.metadata.generation, other.metadata.annotations]).toEqual([2, { 'deprecated.daemonset.template.generation': '1' }]);
    const changed = c.store.patch(daemonsets, 'default', 'agent', { spec: { template: { metadata: { labels: { app: 'agent', v: '2' } } } } });
    expect([changed.metadata.generation, changed.metadata.annotations]).toEqual([3, { 'deprecated.daemonset.template.generation': '2' }]);
  });

  it.each([
    [
      'no selector (nothing is required, but nothing matches)',
      { template: template({ app: 'agent' }) },
      'DaemonSet.apps "agent" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"agent"}: `selector` does not match template `labels`',
    ],
    [
      'an empty selector',
      { selector: { matchLabels: {} }, template: template({ app: 'agent' }) },
      'DaemonSet.apps "agent" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset',
    ],
    [
      'both maxSurge and maxUnavailable',
      { selector: { matchLabels: { app: 'agent' } }, template: template({ app: 'agent' }), updateStrategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } },
      'DaemonSet.apps "agent" is invalid: spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero',
    ],
    [
      'neither maxSurge nor maxUnavailable',
      { selector: { matchLabels: { app: 'agent' } }, template: template({ app: 'agent' }), updateStrategy: { rollingUpdate: { maxUnavailable: 0 } } },
      'DaemonSet.apps "agent" is invalid: spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0',
    ],
    [
      'an unknown update strategy',
      { selector: { matchLabels: { app: 'agent' } }, template: template({ app: 'agent' }), updateStrategy: { type: 'Sometimes' } },
      'DaemonSet.apps "agent" is invalid: spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Sometimes", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"',
    ],
    [
      'activeDeadlineSeconds',
      { selector: { matchLabels: { app: 'agent' } }, template: template({ app: 'agent' }, { activeDeadlineSeconds: 5 }) },
      'DaemonSet.apps "agent" is invalid: spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported',
    ],
  ])('refuses %s', (_what, spec, message) => {
    const c = cluster();
    const e = refusal(() => c.store.create(daemonsets, { metadata: { name: 'agent' }, spec }, 'default'));
    expect(e.message).toBe(message);
  });
});
