import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { UNHEALTHY_ANNOTATION } from './probe';
import { goDuration, RestartBackoff } from './restart-backoff';

const t = (key: string) => resourceTypeByKey(key)!;
type CS = {
  name: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  containerID: string;
  state: { running?: { startedAt: string }; waiting?: { reason: string; message: string }; terminated?: Record<string, unknown> };
  lastState?: { terminated?: { exitCode: number; reason: string; startedAt: string; finishedAt: string } };
};
const T0 = Date.UTC(2026, 0, 1);
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function cluster() {
  const c = newCluster();
  c.store.create(t('nodes'), { metadata: { name: 'w1' } });
  return c;
}
type C = ReturnType<typeof cluster>;

const pod = (name: string, container: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({
  metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80 }], ...container }], ...spec },
});

const get = (c: C, name: string) => c.store.get(t('pods'), 'default', name);
const cs = (o: KubeObject) => (o.status as { containerStatuses: CS[] }).containerStatuses[0];
const events = (c: C) =>
  Object.fromEntries(
    c.store
      .list(t('events'), { namespace: 'default' })
      .items.filter((e) => (e as unknown as { source: { component: string } }).source.component === 'kubelet')
      .map((e) => {
        const x = e as unknown as { reason: string; message: string; count: number };
        return [x.reason, `${x.count}× ${x.message}`];
      }),
  );

function annotate(c: C, name: string, annotations: Record<string, string> | undefined) {
  const p = get(c, name);
  c.store.update(t('pods'), 'default', name, { ...p, metadata: { ...p.metadata, annotations } });
}

describe('liveness probes', () => {
  const liveness = { livenessProbe: { httpGet: { path: '/healthz', port: 80 }, periodSeconds: 10, failureThreshold: 3 } };

  it('a passing liveness probe sets no timer and restarts nothing over 30 days', () => {
    const c = cluster();
    c.store.create(t('pods'), pod('ok', liveness), 'default');
    c.advance(30 * 86400);
    expect(cs(get(c, 'ok'))).toMatchObject({ restartCount: 0, ready: true, started: true, state: { running: { startedAt: at(0) } } });
    expect(c.clock.pending().filter((p) => p.name.includes('containers of'))).toEqual([]);
  });

  it('a failing one kills the container at its failureThreshold-th failing run; nginx exits on SIGTERM (0, Completed) and is restarted at once', () => {
    const c = cluster();
    c.store.create(t('pods'), pod('p', liveness), 'default');
    c.advance(1);
    annotate(c, 'p', { [UNHEALTHY_ANNOTATION]: 'true' });
    // Runs at 0, 10, 20, 30 s: failing from the run at 10 s, the third failure (30 s) kills it.
    c.advance(28.999);
    expect(cs(get(c, 'p')).restartCount).toBe(0);
    c.advance(0.001);
    expect(events(c)).toEqual({
      Unhealthy: '3× Liveness probe failed: HTTP probe failed with statuscode: 500',
      Killing: '1× Container app failed liveness probe, will be restarted',
    });
    c.advance(1);
    const first = cs(get(c, 'p'));
    expect(first).toMatchObject({
      restartCount: 1,
      started: true,
      ready: true,
      state: { running: { startedAt: at(31) } },
      lastState: { terminated: { exitCode: 0, reason: 'Completed', startedAt: at(0), finishedAt: at(31) } },
    });
    expect(first.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(events(c)).toMatchObject({
      Pulled: '1× Container image "nginx:1.27" already present on machine',
      Created: '1× Created container app',
      Started: '1× Started container app',
    });
  });

  it('the back-off ramp as the kubelet has it: a kill restarts at once while the instance before exited longer ago than the back-off; then CrashLoopBackOff, waited from the new exit', () => {
    const c = cluster();
    c.store.create(t('pods'), { ...pod('p', liveness), metadata: { name: 'p', annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } }, 'default');
    const uid = get(c, 'p').metadata.uid;
    // Each instance: runs at 0, 10, 20 s after its start fail; killed at 20, exits at 21.
    // Exits at 21 (none before: at once), 42 (10 s back-off), 63 (20 s), 84 (40 s): each 21 s after the one before, so at once.
    c.advance(84);
    expect(cs(get(c, 'p'))).toMatchObject({ restartCount: 4, ready: true, state: { running: { startedAt: at(84) } } });
    expect(events(c).BackOff).toBeUndefined();
    // Exit at 105: 21 s after the one before, under the 40 s back-off: it waits 40 s from now.
    c.advance(21);
    const waiting = cs(get(c, 'p'));
    expect(waiting).toMatchObject({
      restartCount: 4,
      ready: false,
      started: false,
      state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 40s restarting failed container=app pod=p_default(${uid})` } },
      lastState: { terminated: { exitCode: 0, reason: 'Completed', startedAt: at(84), finishedAt: at(105) } },
    });
    expect(events(c).BackOff).toBe(`1× Back-off restarting failed container app in pod p_default(${uid})`);
    const ready = (get(c, 'p').status as { conditions: Array<{ type: string; status: string; reason?: string }> }).conditions.find((k) => k.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    c.advance(39.999);
    expect(cs(get(c, 'p')).state.waiting).toBeDefined();
    c.advance(0.001);
    expect(cs(get(c, 'p'))).toMatchObject({ restartCount: 5, state: { running: { startedAt: at(145) } } });
    // From here each exit comes 21 s after a start that waited: 80 s, 160 s, 300 s; then, at the cap,
    // the instance after a 300 s wait exited 321 s after the one before and is restarted at once, the next waits.
    const seen: string[] = [];
    let last = '';
    for (let s = 0; s < 1200; s++) {
      c.advance(1);
      const x = cs(get(c, 'p'));
      const now = `${x.restartCount} ${x.state.waiting ? x.state.waiting.message.split(' ')[1] : 'running'}`;
      if (now !== last) seen.push(`${146 + s} ${now}`);
      last = now;
    }
    expect(seen).toEqual([
      '146 5 running',
      '166 5 1m20s',
      '246 6 running',
      '267 6 2m40s',
      '427 7 running',
      '448 7 5m0s',
      '748 8 running',
      '769 9 running',
      '790 9 5m0s',
      '1090 10 running',
      '1111 11 running',
      '1132 11 5m0s',
    ]);
  });

  it('OnFailure: a killed nginx (exit 0) that has to wait out its back-off is not restarted: Completed, and the pod Succeeded', () => {
    const c = cluster();
    c.store.create(t('pods'), { ...pod('o', liveness, { restartPolicy: 'OnFailure' }), metadata: { name: 'o', annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } }, 'default');
    // Restarted at once at 21, 42, 63 and 84 s (restartPolicy is not Never); the exit at 105 s falls in the 40 s back-off.
    c.advance(84);
    expect(cs(get(c, 'o'))).toMatchObject({ restartCount: 4, state: { running: {} } });
    c.advance(21);
    const o = get(c, 'o');
    expect(cs(o)).toMatchObject({ restartCount: 4, ready: false, state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: at(105) } } });
    expect((o.status as { phase: string }).phase).toBe('Succeeded');
    expect(events(c).BackOff).toMatch(/^1× Back-off restarting failed container app/);
    c.advance(3600);
    expect(cs(get(c, 'o')).restartCount).toBe(4);
    expect(c.clock.pending().filter((p) => p.name.includes('default/o'))).toEqual([]);
  });

  it('OnFailure: a killed container that ignores SIGTERM (137) waits and restarts as with Always', () => {
    const c = cluster();
    const spec = { restartPolicy: 'OnFailure', terminationGracePeriodSeconds: 2 };
    c.store.create(t('pods'), { ...pod('o', { ...liveness, command: ['sh', '-c', 'sleep 3600'] }, spec), metadata: { name: 'o', annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } }, 'default');
    // Runs of 22 s: exits at 22, 44, 66, 88 restarted at once; the exit at 110 waits 40 s.
    c.advance(110);
    expect(cs(get(c, 'o'))).toMatchObject({ restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 137 } } });
    c.advance(40);
    expect(cs(get(c, 'o'))).toMatchObject({ restartCount: 5, state: { running: {} } });
  });

  it('a container that ignores SIGTERM (sleep) is killed at the end of the grace period: 137, Error; exec probe output as the shell prints it', () => {
    const c = cluster();
    c.store.create(
      t('pods'),
      pod('x', { image: 'busybox', command: ['sh', '-c', 'sleep 3600'], livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, initialDelaySeconds: 5, periodSeconds: 5 } }, { terminationGracePeriodSeconds: 20 }),
      'default',
    );
    // Runs at 5, 10, 15 fail: killed at 15, SIGKILL at 35.
    c.advance(34.999);
    expect(cs(get(c, 'x')).restartCount).toBe(0);
    expect(events(c).Unhealthy).toBe("3× Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n");
    c.advance(0.001);
    expect(cs(get(c, 'x'))).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: 137, reason: 'Error', finishedAt: at(35) } } });
    // busybox has no tag: imagePullPolicy Always, so the kubelet pulls it again.
    expect(events(c).Pulled).toBe('1× Successfully pulled image "busybox" in 0s (0s including waiting). Image size: 0 bytes.');
    expect(events(c).Pulling).toBe('1× Pulling image "busybox"');
  });

  it('a kill waits at least the kubelet minimum grace period, 2 s, even with terminationGracePeriodSeconds 0', () => {
    const c = cluster();
    c.store.create(t('pods'), pod('z', { command: ['sleep', '3600'], livenessProbe: { exec: { command: ['false'] }, failureThreshold: 1 } }, { terminationGracePeriodSeconds: 0 }), 'default');
    c.advance(1.999); // killed at 0 s, its first run
    expect(cs(get(c, 'z')).restartCount).toBe(0);
    c.advance(0.001);
    expect(cs(get(c, 'z'))).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: 137, finishedAt: at(2) } } });
  });

  it('exec probes that pass in the simulated shell: true, sh -c "exit 0", cat of a file the container has', () => {
    const c = cluster();
    for (const [name, command] of [
      ['a', ['true']],
      ['b', ['sh', '-c', 'exit 0']],
      ['d', ['cat', '/etc/hostname']],
      ['e', ['sh', '-c', 'echo ok | grep -q ok']],
    ] as const) {
      c.store.create(t('pods'), pod(name, { livenessProbe: { exec: { command } } }), 'default');
    }
    c.store.create(t('pods'), pod('f', { livenessProbe: { exec: { command: ['sh', '-c', 'exit 3'] } } }), 'default');
    c.advance(600);
    expect(['a', 'b', 'd', 'e', 'f'].map((n) => cs(get(c, n)).restartCount > 0)).toEqual([false, false, false, false, true]);
  });

  it('the kubelet drops a back-off not updated for 10 minutes: a container healthy that long ramps from 10 s again; healthy 5 minutes, it is still at its cap', () => {
    const firstWait = (healthyMinutes: number) => {
      const c = cluster();
      c.store.create(t('pods'), { ...pod('p', liveness), metadata: { name: 'p', annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } }, 'default');
      c.advance(800); // the loop at its cap: the instance that exited at 790 waits until 1090
      expect(cs(get(c, 'p')).state.waiting!.message).toMatch(/^back-off 5m0s /);
      annotate(c, 'p', undefined);
      c.advance(290 + healthyMinutes * 60); // restarted at 1090, healthy since
      const healed = cs(get(c, 'p'));
      expect(healed).toMatchObject({ restartCount: 10, state: { running: { startedAt: at(1090) } } });
      annotate(c, 'p', { [UNHEALTHY_ANNOTATION]: 'true' });
      for (let s = 0; s < 900 && !cs(get(c, 'p')).state.waiting; s++) c.advance(1);
      const x = cs(get(c, 'p'));
      return `${x.restartCount - healed.restartCount} restarts, then ${x.state.waiting!.message.split(' ')[1]}`;
    };
    // Dropped: the first kill starts the back-off at 10 s (restarted at once), then 20 s, 40 s.
    expect(firstWait(11)).toBe('3 restarts, then 40s');
    expect(firstWait(5)).toBe('1 restarts, then 5m0s');
  });

  it('healing before the threshold cancels the kill', () => {
    const c = cluster();
    c.store.create(t('pods'), pod('p', liveness), 'default');
    annotate(c, 'p', { [UNHEALTHY_ANNOTATION]: 'true' });
    c.advance(15); // runs at 0 and 10 failed; the third would be at 20
    annotate(c, 'p', undefined);
    c.advance(600);
    expect(cs(get(c, 'p')).restartCount).toBe(0);
    expect(events(c).Killing).toBeUndefined();
  });

  it('restartPolicy Never: the killed container stays terminated and the pod ends', () => {
    const c = cluster();
    c.store.create(t('pods'), { ...pod('n', liveness, { restartPolicy: 'Never' }), metadata: { name: 'n', annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } }, 'default');
    c.advance(60);
    const n = get(c, 'n');
    expect(cs(n)).toMatchObject({ restartCount: 0, ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect((n.status as { phase: string }).phase).toBe('Succeeded');
    expect(events(c).Killing).toBe('1× Container app failed liveness probe');
  });

  it('restartPolicy Never, killed with 137: the pod is Failed, and Ready and ContainersReady say PodFailed', () => {
    const c = cluster();
    const spec = { restartPolicy: 'Never', terminationGracePeriodSeconds: 2 };
    c.store.create(t('pods'), { ...pod('n', { ...liveness, command: ['sleep', '3600'] }, spec), metadata: { name: 'n', annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } }, 'default');
    c.advance(60);
    const status = get(c, 'n').status as { phase: string; conditions: Array<{ type: string; status: string; reason?: string }> };
    expect(status.phase).toBe('Failed');
    expect(status.conditions.filter((k) => k.type === 'Ready' || k.type === 'ContainersReady').map((k) => `${k.type} ${k.status} ${k.reason}`)).toEqual(['Ready False PodFailed', 'ContainersReady False PodFailed']);
  });

  it('a crash loop over 30 days keeps a handful of Event objects, their counts adding up', () => {
    const c = cluster();
    c.store.create(t('pods'), { ...pod('p', liveness), metadata: { name: 'p', annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } }, 'default');
    const end = 30 * 86400;
    c.advance(end);
    const restarts = cs(get(c, 'p')).restartCount;
    // 8 restarts to the cap (the 8th at 748 s); then two per 342 s cycle (21 s run, restarted at once, 21 s run, 300 s wait).
    const into = (end - 748) % 342;
    expect(restarts).toBe(8 + 2 * Math.floor((end - 748) / 342) + (into >= 21 ? 1 : 0));
    const list = c.store.list(t('events'), { namespace: 'default' }).items.filter((e) => (e as unknown as { involvedObject: { name: string } }).involvedObject.name === 'p');
    expect(list.map((e) => e.reason).sort()).toEqual(['BackOff', 'Created', 'Killing', 'Pulled', 'Started', 'Unhealthy']);
    expect(Number(events(c).Started.split('×')[0])).toBe(restarts);
    expect(Number(events(c).Killing.split('×')[0])).toBe(restarts + (cs(get(c, 'p')).state.waiting ? 1 : 0));
  });

  it('a steady loop advanced in one go leaves what it leaves advanced second by second: status, events, counts', () => {
    const run = (step: number) => {
      const c = cluster();
      c.store.create(t('pods'), { ...pod('p', liveness), metadata: { name: 'p', annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } }, 'default');
      for (let left = 3603; left > 0; left -= step) c.advance(Math.min(step, left));
      const eventsOf = c.store.list(t('events'), { namespace: 'default' }).items.map((e) => [e.reason, e.message, e.count, e.firstTimestamp, e.lastTimestamp]);
      return { status: get(c, 'p').status, events: eventsOf };
    };
    const once = run(3603);
    const bySecond = run(1);
    expect(once.status).toEqual(bySecond.status);
    expect(once.events).toEqual(bySecond.events);
  });

  it('healing in the middle of a long loop: the container goes on from where the loop had it, and a later failure starts the back-off over', () => {
    const c = cluster();
    c.store.create(t('pods'), { ...pod('p', liveness), metadata: { name: 'p', annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } }, 'default');
    c.advance(86400);
    const looping = cs(get(c, 'p'));
    annotate(c, 'p', undefined);
    c.advance(20 * 60);
    const healed = cs(get(c, 'p'));
    // Whatever it was doing, it runs now, and restarted at most once more (if it was waiting out its back-off).
    expect(healed.state.running).toBeDefined();
    expect(healed.restartCount - looping.restartCount).toBe(looping.state.waiting ? 1 : 0);
    // 20 minutes on, the kubelet has dropped the back-off: the ramp starts over (restarts at once until the back-off passes 21 s).
    annotate(c, 'p', { [UNHEALTHY_ANNOTATION]: 'true' });
    for (let s = 0; s < 900 && !cs(get(c, 'p')).state.waiting; s++) c.advance(1);
    expect(cs(get(c, 'p')).restartCount).toBe(healed.restartCount + 3);
    expect(cs(get(c, 'p')).state.waiting!.message).toMatch(/^back-off 40s /);
  });
});

describe('a stopped kubelet', () => {
  it('stops a crash loop where it stood at the stop: started again, the kubelet goes on from there', () => {
    const c = cluster();
    const liveness = { livenessProbe: { httpGet: { path: '/healthz', port: 80 }, periodSeconds: 10, failureThreshold: 3 } };
    c.store.create(t('pods'), { ...pod('p', liveness), metadata: { name: 'p', annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } }, 'default');
    c.advance(1089); // the loop: the instance started at 769 exited at 790 and waits until 1090
    c.kubelets.stop('w1');
    const stopped = cs(get(c, 'p'));
    expect(stopped).toMatchObject({ restartCount: 9, state: { waiting: { reason: 'CrashLoopBackOff' } } });
    // Stopped until 1100 (the loop would have restarted it at 1090): nothing moves.
    c.advance(11);
    expect(cs(get(c, 'p'))).toEqual(stopped);
    // Started again, it finds the back-off over and restarts the container now.
    c.kubelets.start('w1');
    c.advance(0);
    expect(cs(get(c, 'p'))).toMatchObject({ restartCount: 10, state: { running: { startedAt: at(1100) } } });
  });
});

describe('the fast-forwarded loop against every step taken in turn', () => {
  const http = { httpGet: { path: '/healthz', port: 80 } };
  const cases: Array<[string, Record<string, unknown>]> = [
    ['the default probe', { containers: [{ name: 'app', image: 'nginx:1.27', livenessProbe: http }] }],
    ['failureThreshold 1, no initial delay', { containers: [{ name: 'app', image: 'nginx:1.27', livenessProbe: { ...http, failureThreshold: 1, periodSeconds: 7 } }] }],
    ['a startup probe', { containers: [{ name: 'app', image: 'nginx:1.27', startupProbe: { ...http, initialDelaySeconds: 3, periodSeconds: 4, failureThreshold: 5 }, livenessProbe: http }] }],
    ['a container that ignores SIGTERM', { terminationGracePeriodSeconds: 45, containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'], livenessProbe: { ...http, initialDelaySeconds: 5 } }] }],
    ['two containers', { containers: [{ name: 'a', image: 'nginx:1.27', livenessProbe: http }, { name: 'b', image: 'nginx:1.27', livenessProbe: { ...http, periodSeconds: 3 } }] }],
  ];
  const run = (spec: Record<string, unknown>, fastForwardCrashLoops: boolean, seconds: number) => {
    const c = newCluster({}, 1, { fastForwardCrashLoops });
    c.store.create(t('nodes'), { metadata: { name: 'w1' } });
    c.store.create(t('pods'), { metadata: { name: 'p', annotations: { [UNHEALTHY_ANNOTATION]: 'true' } }, spec }, 'default');
    const seen: unknown[] = [];
    for (const step of [600, 1234, seconds - 1834]) {
      c.advance(step);
      const eventsOf = c.store
        .list(t('events'), { namespace: 'default' })
        .items.filter((e) => (e as unknown as { source: { component: string } }).source.component === 'kubelet')
        .map((e) => [(e.involvedObject as { fieldPath?: string }).fieldPath, e.reason, e.message, e.count, e.firstTimestamp, e.lastTimestamp])
        .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
      const status = get(c, 'p').status as { conditions: Array<Record<string, unknown>> };
      // With several containers, the pod's readiness last changed at the last write of a fast-forwarded loop (a difference docs/cluster.md names).
      const several = (spec.containers as unknown[]).length > 1;
      const conditions = status.conditions.map((k) => (several && (k.type === 'Ready' || k.type === 'ContainersReady') ? { ...k, lastTransitionTime: undefined } : k));
      seen.push({ status: { ...status, conditions }, events: eventsOf });
    }
    return { seen, loops: c.clock.pending().filter((x) => x.name.endsWith('crash loop')).length };
  };

  it.each(cases)('%s: the same status and Events, whether the loop runs on its quiet timer or not', (_, spec) => {
    const fast = run(spec, true, 7200);
    const slow = run(spec, false, 7200);
    expect(fast.loops).toBeGreaterThan(0);
    expect(slow.loops).toBe(0);
    expect(fast.seen).toEqual(slow.seen);
  });
});

describe('liveness with readiness', () => {
  it('a pod failing both stays out of its Service\'s endpoints for the whole loop, and only the loop\'s timer is left', () => {
    const c = cluster();
    c.store.create(t('services'), { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }, 'default');
    const probe = { httpGet: { path: '/healthz', port: 80 } };
    c.store.create(t('pods'), { ...pod('p', { livenessProbe: probe, readinessProbe: probe }), metadata: { name: 'p', labels: { app: 'web' }, annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } }, 'default');
    c.advance(86400);
    expect(cs(get(c, 'p'))).toMatchObject({ ready: false });
    expect(cs(get(c, 'p')).restartCount).toBeGreaterThan(260);
    const endpoints = c.store.list(t('endpointslices.discovery.k8s.io'), { namespace: 'default' }).items.flatMap((x) => (x.endpoints as Array<{ conditions: { ready: boolean } }>) ?? []);
    expect(endpoints.filter((e) => e.conditions.ready)).toEqual([]);
    expect(c.clock.pending().filter((p) => p.name.includes('default/p')).map((p) => p.name)).toEqual(['kubelet: default/p app crash loop']);
  });
});

describe('events of several containers and probes', () => {
  const kubeletEvents = (c: C) =>
    c.store
      .list(t('events'), { namespace: 'default' })
      .items.filter((e) => (e as unknown as { source: { component: string } }).source.component === 'kubelet')
      .map((e) => {
        const x = e as unknown as { reason: string; message: string; count: number; involvedObject: { fieldPath?: string } };
        return `${x.involvedObject.fieldPath} ${x.reason} ${x.count}× ${x.message}`;
      })
      .sort();

  it('liveness and readiness failing together keep one Unhealthy Event each, each with its own count', () => {
    const c = cluster();
    const probe = { httpGet: { path: '/healthz', port: 80 } };
    c.store.create(t('pods'), { ...pod('p', { livenessProbe: probe, readinessProbe: probe }), metadata: { name: 'p', labels: { app: 'web' }, annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } }, 'default');
    c.advance(25);
    const unhealthy = kubeletEvents(c).filter((e) => e.includes(' Unhealthy '));
    expect(unhealthy).toEqual([
      'spec.containers{app} Unhealthy 2× Readiness probe failed: HTTP probe failed with statuscode: 500',
      'spec.containers{app} Unhealthy 3× Liveness probe failed: HTTP probe failed with statuscode: 500',
    ]);
  });

  it('two crash-looping containers each keep their own Events, named by spec.containers{NAME}', () => {
    const c = cluster();
    const probe = { httpGet: { path: '/healthz', port: 80 } };
    const spec = { containers: [{ name: 'a', image: 'nginx:1.27', livenessProbe: probe }, { name: 'b', image: 'nginx:1.27', livenessProbe: probe }] };
    c.store.create(t('pods'), { metadata: { name: 'p', annotations: { [UNHEALTHY_ANNOTATION]: 'true' } }, spec }, 'default');
    c.advance(35);
    const killing = kubeletEvents(c).filter((e) => e.includes(' Killing '));
    expect(killing).toEqual([
      'spec.containers{a} Killing 1× Container a failed liveness probe, will be restarted',
      'spec.containers{b} Killing 1× Container b failed liveness probe, will be restarted',
    ]);
  });
});

describe('startup probes', () => {
  it('liveness and readiness wait for the startup probe; started and ready follow it', () => {
    const c = cluster();
    c.store.create(
      t('pods'),
      pod('s', {
        startupProbe: { tcpSocket: { port: 80 }, initialDelaySeconds: 5, periodSeconds: 5 },
        livenessProbe: { httpGet: { port: 80 } },
        readinessProbe: { httpGet: { port: 80 } },
      }),
      'default',
    );
    expect(cs(get(c, 's'))).toMatchObject({ started: false, ready: false });
    c.advance(4.999);
    expect(cs(get(c, 's'))).toMatchObject({ started: false, ready: false });
    c.advance(0.001);
    expect(cs(get(c, 's'))).toMatchObject({ started: true });
    c.advance(1);
    expect(cs(get(c, 's'))).toMatchObject({ started: true, ready: true, restartCount: 0 });
  });

  it('a startup probe that keeps failing restarts the container, naming the startup probe', () => {
    const c = cluster();
    c.store.create(
      t('pods'),
      pod('s', { startupProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5, failureThreshold: 4 }, livenessProbe: { tcpSocket: { port: 8080 } } }),
      'default',
    );
    const ip = (get(c, 's').status as { podIP: string }).podIP;
    c.advance(15.999);
    expect(cs(get(c, 's'))).toMatchObject({ started: false, ready: false, restartCount: 0 });
    c.advance(1.001);
    expect(cs(get(c, 's'))).toMatchObject({ started: false, restartCount: 1 });
    expect(events(c)).toMatchObject({
      Unhealthy: `4× Startup probe failed: dial tcp ${ip}:8080: connect: connection refused`,
      Killing: '1× Container app failed startup probe, will be restarted',
    });
  });
});

describe('RestartBackoff', () => {
  it('doubles from 10 s to 5 min; housekeeping drops an entry not updated for 10 minutes', () => {
    const b = new RestartBackoff();
    expect(b.inBackOffSince('k', 0, 0)).toBe(false);
    b.next('k', 0);
    expect(b.get('k')).toBe(10_000);
    expect(b.inBackOffSince('k', 1000, 10_999)).toBe(true);
    expect(b.inBackOffSince('k', 1000, 11_000)).toBe(false);
    for (let i = 0; i < 10; i++) b.next('k', 0);
    expect(b.get('k')).toBe(300_000);
    expect(b.inBackOffSince('k', 599_000, 600_000)).toBe(true);
    expect(b.inBackOffSince('k', 599_000, 600_001)).toBe(false);
    b.next('k', 600_001);
    expect(b.get('k')).toBe(10_000);
  });

  it('prints waits as Go durations', () => {
    expect([10_000, 80_000, 300_000, 3_600_000].map(goDuration)).toEqual(['10s', '1m20s', '5m0s', '1h0m0s']);
  });
});
