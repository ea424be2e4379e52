import { KubeObject } from '../../cluster/store/types';
import { toTable } from './table';

const NOW = Date.UTC(2026, 0, 1, 1, 0, 0);
const ago = (s: number) => new Date(NOW - s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function pod(containerStatuses: unknown[], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u', resourceVersion: '1', creationTimestamp: ago(3600), ...extra },
    spec: { containers: containerStatuses.map((_, i) => ({ name: `c${i}`, image: 'nginx' })) },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses },
  } as unknown as KubeObject;
}

const cells = (o: KubeObject) => toTable('Pod', [o], NOW, '1').rows[0].cells.slice(1, 4);

describe('the Pod table, as kubectl prints pods', () => {
  it('a crash-looping container: STATUS CrashLoopBackOff, not ready, RESTARTS with when the last one ended', () => {
    const o = pod([{ name: 'c0', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: ago(12) } } }]);
    expect(cells(o)).toEqual(['0/1', 'CrashLoopBackOff', '3 (12s ago)']);
  });

  it('running again after restarts: Running, ready, the sum of all containers and the latest end', () => {
    const o = pod([
      { name: 'c0', ready: true, restartCount: 2, state: { running: {} }, lastState: { terminated: { finishedAt: ago(300) } } },
      { name: 'c1', ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { finishedAt: ago(90) } } },
    ]);
    expect(cells(o)).toEqual(['2/2', 'Running', '3 (90s ago)']);
  });

  it('never restarted: a plain count; a terminated container names its reason or exit code', () => {
    expect(cells(pod([{ name: 'c0', ready: true, restartCount: 0, state: { running: {} } }]))).toEqual(['1/1', 'Running', '0']);
    expect(cells(pod([{ name: 'c0', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }]))).toEqual(['0/1', 'ExitCode:2', '0']);
    expect(cells(pod([{ name: 'c0', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'Error' } } }]))).toEqual(['0/1', 'Error', '0']);
  });

  it('a deleted pod is Terminating whatever its containers say', () => {
    const o = pod([{ name: 'c0', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } }], { deletionTimestamp: ago(0) });
    expect(cells(o)[1]).toBe('Terminating');
  });

  it('a pod that ended (Succeeded, Failed) keeps its status while deleted, as kubectl prints only a running pod Terminating', () => {
    const ended = (phase: string) => ({ ...pod([{ name: 'c0', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }], { deletionTimestamp: ago(0) }), status: { phase, containerStatuses: [{ name: 'c0', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } }) as unknown as KubeObject;
    expect(cells(ended('Succeeded'))[1]).toBe('Completed');
    expect(cells(ended('Failed'))[1]).toBe('Completed');
    expect(cells(ended('Running'))[1]).toBe('Terminating');
  });

  it('RESTARTS says when only when there were restarts', () => {
    const o = pod([{ name: 'c0', ready: true, restartCount: 0, state: { running: {} }, lastState: { terminated: { exitCode: 0, finishedAt: ago(40) } } }]);
    expect(cells(o)[2]).toBe('0');
  });
});
