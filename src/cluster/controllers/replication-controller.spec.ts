import { Cluster } from '../cluster';
import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';
import { refusalOf as refusal } from '../../../test/support/common/domain-error';

/** core/v1 ReplicationControllers: defaulted and validated as the API server does, run by the ReplicaSet controller's code. */
const t = (key: string) => resourceTypeByKey(key)!;
const pods = t('pods');
const rcs = t('replicationcontrollers');
const events = t('events');

function rc(name: string, replicas: number | undefined, extra: { selector?: Record<string, string>; labels?: Record<string, string>; restartPolicy?: string } = {}) {
  return {
    metadata: { name },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      ...(extra.selector ? { selector: extra.selector } : {}),
      template: {
        metadata: { labels: extra.labels ?? { app: name } },
        spec: { schedulerName: 'manual', ...(extra.restartPolicy ? { restartPolicy: extra.restartPolicy } : {}), containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    },
  };
}

const podNames = (c: Cluster) => c.store.list(pods, { namespace: 'default' }).items.map((p) => p.metadata.name).sort();

describe('ReplicationController', () => {
  it('takes an empty selector and empty labels from the template, and one replica by default', () => {
    const c = newCluster();
    const made = c.store.create(rcs, rc('web', undefined), 'default');
    expect(made.spec).toMatchObject({ replicas: 1, selector: { app: 'web' } });
    expect(made.metadata.labels).toEqual({ app: 'web' });
    expect(made.spec).toMatchObject({ template: { spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' } } });
  });

  it('keeps spec.replicas pods, owned by the controller, and fills its status', () => {
    const c = newCluster();
    const made = c.store.create(rcs, rc('web', 3), 'default');
    const names = podNames(c);
    expect(names).toHaveLength(3);
    for (const name of names) expect(name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(c.store.get(pods, 'default', names[0]).metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'ReplicationController', name: 'web', uid: made.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(c.store.get(rcs, 'default', 'web').status).toEqual({ replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });
    const created = c.store.list(events, { namespace: 'default' }).items.filter((e) => e.reason === 'SuccessfulCreate');
    expect(created).toHaveLength(3);
    expect(created[0]).toMatchObject({ source: { component: 'replication-controller' }, involvedObject: { kind: 'ReplicationController', name: 'web' } });
    expect(created.map((e) => e.message).sort()).toEqual(names.map((n) => `Created pod: ${n}`));
  });

  it('scales down and back up, and adopts an orphan its selector matches', () => {
    const c = newCluster();
    c.store.create(pods, { metadata: { name: 'stray', labels: { app: 'web' } }, spec: { schedulerName: 'manual', containers: [{ name: 'app', image: 'nginx' }] } }, 'default');
    c.store.create(rcs, rc('web', 2), 'default');
    expect(podNames(c)).toHaveLength(2);
    expect(c.store.get(pods, 'default', 'stray').metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicationController', name: 'web' });
    c.store.patch(rcs, 'default', 'web', { spec: { replicas: 0 } });
    expect(podNames(c)).toEqual([]);
    c.store.patch(rcs, 'default', 'web', { spec: { replicas: 4 } });
    expect(podNames(c)).toHaveLength(4);
  });

  it('lets the selector change (unlike a ReplicaSet), releasing pods it no longer selects', () => {
    const c = newCluster();
    c.store.create(rcs, rc('web', 1, { selector: { app: 'web' }, labels: { app: 'web', tier: 'a' } }), 'default');
    const [first] = podNames(c);
    c.store.patch(rcs, 'default', 'web', { spec: { selector: { app: 'web', tier: 'b' }, template: { metadata: { labels: { app: 'web', tier: 'b' } } } } });
    expect(c.store.get(pods, 'default', first).metadata.ownerReferences ?? []).toEqual([]);
    expect(podNames(c)).toHaveLength(2);
  });

  it('deletes its pods when it is deleted', () => {
    const c = newCluster();
    c.store.create(rcs, rc('web', 2), 'default');
    c.store.delete(rcs, 'default', 'web');
    expect(podNames(c)).toEqual([]);
  });

  it('refuses what the API server refuses, with its texts', () => {
    const c = newCluster();
    const mismatch = refusal(() => c.store.create(rcs, rc('web', 1, { selector: { app: 'other' } }), 'default'));
    expect(mismatch.message).toBe(
      'ReplicationController "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    );
    const negative = refusal(() => c.store.create(rcs, rc('web', -1), 'default'));
    expect(negative.message).toBe('ReplicationController "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    const noSelector = refusal(() => c.store.create(rcs, { metadata: { name: 'bare' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'nginx' }] } } } }, 'default'));
    expect(noSelector.message).toBe('ReplicationController "bare" is invalid: spec.selector: Required value');
    const policy = refusal(() => c.store.create(rcs, rc('web', 1, { restartPolicy: 'Never' }), 'default'));
    expect(policy.message).toBe('ReplicationController "web" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"');
    const float = refusal(() => c.store.create(rcs, rc('web', 1.5), 'default'));
    expect(float.message).toBe(
      'ReplicationController in version "v1" cannot be handled as a ReplicationController: json: cannot unmarshal number 1.5 into Go struct field spec.replicas of type int32',
    );
    const typed = refusal(() => c.store.create(rcs, { metadata: { name: 'web' }, spec: { selector: 'app=web', template: rc('web', 1).spec.template } }, 'default'));
    expect(typed.message).toBe(
      'ReplicationController in version "v1" cannot be handled as a ReplicationController: json: cannot unmarshal string into Go struct field spec.selector of type map[string]string',
    );
    expect(c.store.list(rcs).items).toEqual([]);
    expect(podNames(c)).toEqual([]);
  });
});
