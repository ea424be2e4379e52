/** The README tour's actions: scale a Deployment, stop or start a kubelet, advance the clock. */
import { useEffect, useState } from 'preact/hooks';
import { advanceClock, clock, kubelet, scaleDeployment } from './api';
import { keyOf, nodeReady, type ClusterState } from './cluster';

interface Props {
  cluster: ClusterState;
  run: (what: string, action: () => Promise<unknown>) => void;
}

export function Actions({ cluster, run }: Props) {
  const [now, setNow] = useState<string>('');
  const [seconds, setSeconds] = useState('41');
  // The clock shown moves when the cluster does (a lease renewal, an eviction) and after an advance.
  // (at most once every half second: a burst of events asks once).
  useEffect(() => {
    const timer = setTimeout(() => clock().then((c) => setNow(c.now), () => undefined), 500);
    return () => clearTimeout(timer);
  }, [cluster.revision]);
  const advance = (s: number) =>
    run(`advance the clock ${s} s`, async () => {
      const c = await advanceClock(s);
      setNow(c.now);
    });
  return (
    <section class="actions" data-testid="actions">
      <h2>Actions</h2>
      <div class="action-group">
        <h3>Deployments</h3>
        {cluster.deployments.map((d) => {
          const [ns, name] = [d.metadata.namespace ?? 'default', d.metadata.name];
          const replicas = Number(d.spec?.replicas ?? 1);
          return (
            <div class="row" key={keyOf(d)} data-deployment={keyOf(d)}>
              <span>{keyOf(d)}</span>
              <span class="muted">
                {' '}
                {d.status?.readyReplicas ?? 0}/{replicas} ready
              </span>{' '}
              <button aria-label={`scale ${keyOf(d)} down`} disabled={replicas === 0} onClick={() => run(`scale ${keyOf(d)} to ${replicas - 1}`, () => scaleDeployment(ns, name, replicas - 1))}>
                −
              </button>
              <button aria-label={`scale ${keyOf(d)} up`} onClick={() => run(`scale ${keyOf(d)} to ${replicas + 1}`, () => scaleDeployment(ns, name, replicas + 1))}>
                +
              </button>
              <button aria-label={`scale ${keyOf(d)} to 0`} disabled={replicas === 0} onClick={() => run(`scale ${keyOf(d)} to 0`, () => scaleDeployment(ns, name, 0))}>
                to 0
              </button>
            </div>
          );
        })}
      </div>
      <div class="action-group">
        <h3>Kubelets</h3>
        {cluster.nodes.map((n) => (
          <div class="row" key={n.metadata.name} data-kubelet={n.metadata.name}>
            <span>{n.metadata.name}</span> <span class="muted">{nodeReady(n)}</span>{' '}
            <button onClick={() => run(`stop the kubelet of ${n.metadata.name}`, () => kubelet(n.metadata.name, 'stop'))}>stop</button>
            <button onClick={() => run(`start the kubelet of ${n.metadata.name}`, () => kubelet(n.metadata.name, 'start'))}>start</button>
          </div>
        ))}
      </div>
      <div class="action-group">
        <h3>Clock</h3>
        <div class="row">
          <span data-testid="clock">{now ? new Date(now).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : ''}</span>
        </div>
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            advance(Number(seconds));
          }}
        >
          <label>
            advance <input type="number" min="1" step="1" value={seconds} onInput={(e) => setSeconds((e.target as HTMLInputElement).value)} aria-label="seconds" /> s
          </label>{' '}
          <button type="submit">advance</button>
          <button type="button" onClick={() => advance(300)}>
            +5 min
          </button>
        </form>
      </div>
    </section>
  );
}
