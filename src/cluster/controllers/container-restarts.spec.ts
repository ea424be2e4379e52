import { newCluster } from '../cluster.testing';
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

  it('the second exit waits in CrashLoopBackOff, 10 s, then 20 s, 40 s, ... up to 5 min, with upstream texts', () => {
    const c = cluster();
    c.store.create(t('pods'), { ...pod('p', liveness), metadata: { name: 'p', annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } }, 'default');
    const uid = get(c, 'p').metadata.uid;
    // First instance: runs at 0, 10, 20 fail; killed at 20, exits at 21, restarted at once.
    c.advance(21);
    expect(cs(get(c, 'p')).restartCount).toBe(1);
    // Second: killed at 41, exits at 42, waits 10 s.
    c.advance(21);
    const waiting = cs(get(c, 'p'));
    expect(waiting).toMatchObject({
      restartCount: 1,
      ready: false,
      started: false,
      state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=app pod=p_default(${uid})` } },
      lastState: { terminated: { exitCode: 0, reason: 'Completed', startedAt: at(21), finishedAt: at(42) } },
    });
    expect(events(c).BackOff).toBe(`1× Back-off restarting failed container app in pod p_default(${uid})`);
    const ready = (get(c, 'p').status as { conditions: Array<{ type: string; status: string; reason?: string }> }).conditions.find((k) => k.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    c.advance(9.999);
    expect(cs(get(c, 'p')).state.waiting).toBeDefined();
    c.advance(0.001);
    expect(cs(get(c, 'p'))).toMatchObject({ restartCount: 2, state: { running: { startedAt: at(52) } } });
    // Each later wait doubles: the message names the wait in force.
    const waits: string[] = [];
    for (let i = 0; i < 7; i++) {
      c.advance(21);
      waits.push(cs(get(c, 'p')).state.waiting!.message.split(' ')[1]);
      c.advance(Number(/(\d+)m/.exec(waits[i])?.[1] ?? 0) * 60 + Number(/(\d+)s/.exec(waits[i])![1]));
    }
    expect(waits).toEqual(['20s', '40s', '1m20s', '2m40s', '5m0s', '5m0s', '5m0s']);
    expect(cs(get(c, 'p')).restartCount).toBe(9);
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

  it('the back-off starts again at 10 s once the container ran 10 minutes without trouble', () => {
    const c = cluster();
    c.store.create(t('pods'), { ...pod('p', liveness), metadata: { name: 'p', annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } }, 'default');
    c.advance(21 + 21 + 10 + 21); // restarts at 21 and 52; third exit at 73 waits 20 s
    expect(cs(get(c, 'p')).state.waiting!.message).toMatch(/^back-off 20s /);
    c.advance(20);
    annotate(c, 'p', undefined);
    c.advance(11 * 60);
    expect(cs(get(c, 'p'))).toMatchObject({ restartCount: 3, state: { running: {} } });
    annotate(c, 'p', { [UNHEALTHY_ANNOTATION]: 'true' });
    c.advance(31); // killed and exited: restarted at once, the back-off forgotten
    expect(cs(get(c, 'p'))).toMatchObject({ restartCount: 4, state: { running: {} } });
    c.advance(15); // killed at 794, exited at 795: the wait starts from 10 s again
    expect(cs(get(c, 'p')).state.waiting!.message).toMatch(/^back-off 10s /);
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

  it('a crash loop over 30 days keeps a handful of Event objects, their counts adding up', () => {
    const c = cluster();
    c.store.create(t('pods'), { ...pod('p', liveness), metadata: { name: 'p', annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } }, 'default');
    c.advance(30 * 86400);
    const restarts = cs(get(c, 'p')).restartCount;
    // About one restart per 5 min 21 s once the back-off is at its cap.
    expect(restarts).toBeGreaterThan(8000);
    expect(restarts).toBeLessThan(8100);
    const list = c.store.list(t('events'), { namespace: 'default' }).items.filter((e) => (e as unknown as { involvedObject: { name: string } }).involvedObject.name === 'p');
    expect(list.map((e) => e.reason).sort()).toEqual(['BackOff', 'Created', 'Killing', 'Pulled', 'Started', 'Unhealthy']);
    expect(Number(events(c).Started.split('×')[0])).toBe(restarts);
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
    // 6 restarts reach the 5 min cap (at 21, 52, 93, 154, 255, 436 s); then one every 321 s.
    expect(cs({ status: once.status } as unknown as KubeObject).restartCount).toBe(6 + Math.floor((3603 - 436) / 321));
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
    annotate(c, 'p', { [UNHEALTHY_ANNOTATION]: 'true' });
    c.advance(31);
    expect(cs(get(c, 'p')).restartCount).toBe(healed.restartCount + 1);
    c.advance(15);
    expect(cs(get(c, 'p')).state.waiting!.message).toMatch(/^back-off 10s /);
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
  it('doubles from 10 s to 5 min and forgets after 10 minutes', () => {
    const b = new RestartBackoff();
    expect(b.inBackOffSince('k', 0, 0)).toBe(false);
    b.next('k', 0, 0);
    expect(b.get('k')).toBe(10_000);
    expect(b.inBackOffSince('k', 1000, 10_999)).toBe(true);
    expect(b.inBackOffSince('k', 1000, 11_000)).toBe(false);
    for (let i = 0; i < 10; i++) b.next('k', 0, 0);
    expect(b.get('k')).toBe(300_000);
    expect(b.inBackOffSince('k', 600_001, 600_001)).toBe(false);
    b.next('k', 600_001, 600_001);
    expect(b.get('k')).toBe(10_000);
  });

  it('prints waits as Go durations', () => {
    expect([10_000, 80_000, 300_000, 3_600_000].map(goDuration)).toEqual(['10s', '1m20s', '5m0s', '1h0m0s']);
  });
});
