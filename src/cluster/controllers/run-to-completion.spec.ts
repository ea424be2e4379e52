import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { EXIT_CODE_ANNOTATION, RUN_SECONDS_ANNOTATION } from './run-to-completion';

const t = (key: string) => resourceTypeByKey(key)!;
const T0 = Date.UTC(2026, 0, 1);
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function cluster() {
  const c = newCluster();
  c.store.create(t('nodes'), { metadata: { name: 'w1' } });
  return c;
}
type C = ReturnType<typeof cluster>;

function run(c: C, name: string, annotations: Record<string, string> | undefined, restartPolicy: string) {
  c.store.create(
    t('pods'),
    { metadata: { name, labels: { app: 'batch' }, ...(annotations ? { annotations } : {}) }, spec: { restartPolicy, containers: [{ name: 'work', image: 'busybox' }] } },
    'default',
  );
}
const get = (c: C, name: string) => c.store.get(t('pods'), 'default', name);
const status = (o: KubeObject) => o.status as { phase: string; conditions: Array<{ type: string; status: string; reason?: string }>; containerStatuses: Array<{ restartCount: number; state: { waiting: { reason: string }; terminated: unknown }; lastState: { terminated: unknown } }> };

describe('containers that run to completion', () => {
  it('a plain pod without the annotations keeps running', () => {
    const c = cluster();
    run(c, 'server', undefined, 'Never');
    c.advance(86400);
    expect(status(get(c, 'server')).phase).toBe('Running');
  });

  it('run-seconds and exit-code 0 under Never: Succeeded, Completed, not ready, its address released', () => {
    const c = cluster();
    run(c, 'ok', { [RUN_SECONDS_ANNOTATION]: '30' }, 'Never');
    c.advance(29);
    expect(status(get(c, 'ok')).phase).toBe('Running');
    c.advance(1);
    const s = status(get(c, 'ok'));
    expect(s.phase).toBe('Succeeded');
    expect(s.containerStatuses[0]).toMatchObject({ ready: false, started: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: at(0), finishedAt: at(30) } } });
    expect(s.conditions.find((k) => k.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(c.pools.existingNodeIpam('w1')!.stats().used).toBe(0);
  });

  it('a pod that exited leaves the endpoints of its Service', () => {
    const c = cluster();
    c.store.create(t('services'), { metadata: { name: 'batch' }, spec: { selector: { app: 'batch' }, ports: [{ port: 80 }] } }, 'default');
    run(c, 'ok', { [RUN_SECONDS_ANNOTATION]: '10' }, 'Never');
    const endpoints = () => c.store.list(t('endpointslices.discovery.k8s.io'), { namespace: 'default' }).items.filter((e) => e.metadata.labels?.['kubernetes.io/service-name'] === 'batch').flatMap((e) => (e.endpoints as unknown[] | undefined) ?? []);
    expect(endpoints()).toHaveLength(1);
    c.advance(10);
    expect(endpoints()).toHaveLength(0);
  });

  it('a non-zero exit code under Never: Failed, reason Error', () => {
    const c = cluster();
    run(c, 'bad', { [RUN_SECONDS_ANNOTATION]: '2', [EXIT_CODE_ANNOTATION]: '3' }, 'Never');
    c.advance(2);
    const s = status(get(c, 'bad'));
    expect(s.phase).toBe('Failed');
    expect(s.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(s.conditions.find((k) => k.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
  });

  it('exit 0 under OnFailure is not restarted', () => {
    const c = cluster();
    run(c, 'done', { [RUN_SECONDS_ANNOTATION]: '5' }, 'OnFailure');
    c.advance(60);
    const s = status(get(c, 'done'));
    expect(s.phase).toBe('Succeeded');
    expect(s.containerStatuses[0].restartCount).toBe(0);
  });

  it('a failing exit under OnFailure restarts with the back-off: at once, then 10 s, 20 s, ...', () => {
    const c = cluster();
    run(c, 'crash', { [RUN_SECONDS_ANNOTATION]: '1', [EXIT_CODE_ANNOTATION]: '1' }, 'OnFailure');
    c.advance(1); // exit 1, restarted at once
    expect(status(get(c, 'crash')).containerStatuses[0]).toMatchObject({ restartCount: 1, state: { running: { startedAt: at(1) } } });
    c.advance(1); // exit 2, restarted at once (the back-off starts at 10 s)
    expect(status(get(c, 'crash')).containerStatuses[0]).toMatchObject({ restartCount: 2 });
    c.advance(1); // exit 3: within the 10 s back-off, it waits
    const waiting = status(get(c, 'crash')).containerStatuses[0];
    expect(waiting.state.waiting.reason).toBe('CrashLoopBackOff');
    expect(waiting.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error', finishedAt: at(3) });
    expect(status(get(c, 'crash')).phase).toBe('Running');
    c.advance(10);
    expect(status(get(c, 'crash')).containerStatuses[0]).toMatchObject({ restartCount: 3, state: { running: { startedAt: at(13) } } });
  });

  it('Always restarts a container that completed', () => {
    const c = cluster();
    run(c, 'loop', { [RUN_SECONDS_ANNOTATION]: '5' }, 'Always');
    c.advance(5);
    expect(status(get(c, 'loop')).containerStatuses[0]).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect(status(get(c, 'loop')).phase).toBe('Running');
  });
});
