/** Pick a source (a pod, a node, or an outside address) and a destination (a Service, a name, or an address:port), then send. */
import { useEffect, useState } from 'preact/hooks';
import type { TrafficRequest } from './answer';
import { keyOf, type ClusterState } from './cluster';
import { serviceTarget } from './ClusterView';

interface Props {
  cluster: ClusterState;
  request: TrafficRequest | null;
  sending: boolean;
  onSend: (request: TrafficRequest) => void;
}

const OUTSIDE = 'outside';

export function TrafficForm({ cluster, request, sending, onSend }: Props) {
  const [from, setFrom] = useState('');
  const [external, setExternal] = useState('203.0.113.7');
  const [to, setTo] = useState('web:80');
  const [protocol, setProtocol] = useState<NonNullable<TrafficRequest['protocol']>>('tcp');
  // A request from the URL or from a click in the cluster view fills the form.
  useEffect(() => {
    if (!request) return;
    if (typeof request.from === 'string') setFrom(request.from);
    else {
      setFrom(OUTSIDE);
      setExternal(request.from.external);
    }
    setTo(request.to);
    setProtocol(request.protocol ?? 'tcp');
  }, [request]);
  // Until a source is chosen, the first pod of the first Deployment-like app (else the first pod).
  useEffect(() => {
    if (from || cluster.pods.length === 0) return;
    const pod = cluster.pods.find((p) => p.metadata.namespace === 'default') ?? cluster.pods[0];
    setFrom(`pod/${keyOf(pod)}`);
  }, [cluster.pods, from]);
  const submit = (e: Event) => {
    e.preventDefault();
    if (!from || !to) return;
    onSend({ from: from === OUTSIDE ? { external } : from, to: to.trim(), ...(protocol !== 'tcp' ? { protocol } : {}) });
  };
  const targets = cluster.services.flatMap((s) => ((s.spec?.ports as { port: number }[] | undefined) ?? []).map((p) => serviceTarget(s, p.port)));
  return (
    <form class="traffic-form" onSubmit={submit} data-testid="traffic-form">
      <label>
        from{' '}
        <select value={from} onChange={(e) => setFrom((e.target as HTMLSelectElement).value)} aria-label="source">
          {from && from !== OUTSIDE && !cluster.pods.some((p) => `pod/${keyOf(p)}` === from) && !cluster.nodes.some((n) => `node/${n.metadata.name}` === from) ? <option value={from}>{from}</option> : null}
          <optgroup label="pods">
            {cluster.pods.map((p) => (
              <option key={keyOf(p)} value={`pod/${keyOf(p)}`}>
                pod/{keyOf(p)}
              </option>
            ))}
          </optgroup>
          <optgroup label="nodes">
            {cluster.nodes.map((n) => (
              <option key={n.metadata.name} value={`node/${n.metadata.name}`}>
                node/{n.metadata.name}
              </option>
            ))}
          </optgroup>
          <option value={OUTSIDE}>an outside client…</option>
        </select>
      </label>
      {from === OUTSIDE ? (
        <input value={external} onInput={(e) => setExternal((e.target as HTMLInputElement).value)} aria-label="outside address" size={14} />
      ) : null}
      <label>
        to <input value={to} list="targets" onInput={(e) => setTo((e.target as HTMLInputElement).value)} aria-label="destination" placeholder="web:80, 10.96.0.10:53, service/NS/NAME:PORT" size={28} />
      </label>
      <datalist id="targets">
        {targets.map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
      <select value={protocol} onChange={(e) => setProtocol((e.target as HTMLSelectElement).value as typeof protocol)} aria-label="protocol">
        <option value="tcp">TCP</option>
        <option value="udp">UDP</option>
        <option value="sctp">SCTP</option>
      </select>
      <button type="submit" disabled={sending} data-testid="send">
        {sending ? 'sending…' : 'Send'}
      </button>
    </form>
  );
}
