/**
 * The server's requests the UI makes, all same-origin: watches (one JSON
 * event a line, read as the stream arrives), the traffic answer, the
 * rule tables, and the tour's actions. A refusal is the server's `Status`:
 * its message is what the UI shows.
 */
import type { KubeObject, TrafficRequest, TrafficResponse, WatchEvent } from './answer';

export class ApiError extends Error {}

async function check(res: Response): Promise<Response> {
  if (res.ok) return res;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { message?: string };
    if (body.message) message = body.message;
  } catch {
    // Not a Status: keep the HTTP line.
  }
  throw new ApiError(message);
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  return (await (await check(await fetch(url, init))).json()) as T;
}

function post<T>(url: string, body: unknown, type = 'application/json'): Promise<T> {
  return json<T>(url, { method: 'POST', headers: { 'Content-Type': type }, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** The traffic answer with every hop and rule (`detail=hops`). */
export function sendTraffic(request: TrafficRequest): Promise<TrafficResponse> {
  return post<TrafficResponse>('/netsim/v1/traffic?detail=hops', request);
}

/** A node's rules: its tables as `iptables-save` prints them and, when its kube-proxy runs in nftables mode, kube-proxy's ruleset as `nft list ruleset` prints it. */
export interface NodeRules {
  iptables: string;
  /** null on a node whose kube-proxy runs in iptables mode. */
  nftables: string | null;
}

/** Reads the iptables tables; the answer's `Netsim-Proxy-Mode` header says whether to read the nft ruleset too. */
export async function nodeRules(node: string): Promise<NodeRules> {
  const base = `/netsim/v1/nodes/${encodeURIComponent(node)}`;
  const res = await check(await fetch(`${base}/iptables`));
  const iptables = await res.text();
  if (res.headers.get('Netsim-Proxy-Mode') !== 'nftables') return { iptables, nftables: null };
  return { iptables, nftables: await (await check(await fetch(`${base}/nftables`))).text() };
}

export function scaleDeployment(namespace: string, name: string, replicas: number): Promise<unknown> {
  return json(`/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments/${encodeURIComponent(name)}/scale`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/merge-patch+json' },
    body: JSON.stringify({ spec: { replicas } }),
  });
}

export function kubelet(node: string, action: 'stop' | 'start'): Promise<unknown> {
  return post(`/netsim/v1/nodes/${encodeURIComponent(node)}/kubelet/${action}`, undefined);
}

export interface ClockView {
  now: string;
  mode: string;
}

export function clock(): Promise<ClockView> {
  return json<ClockView>('/netsim/v1/clock');
}

export function advanceClock(seconds: number): Promise<ClockView> {
  return post<ClockView>('/netsim/v1/clock/advance', { seconds });
}

/**
 * Lists `path` (`/api/v1/pods`, ...) and watches it from the list's
 * `resourceVersion` on, as an informer does: `onList` gets the objects, then
 * `onEvent` every change. Lists and watches again after a second when the
 * stream ends or fails (a watch too old to resume is answered 410 Gone: the
 * new list starts afresh). Returns a stop function.
 */
export function watch(path: string, onList: (items: KubeObject[]) => void, onEvent: (e: WatchEvent) => void): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  const run = async (): Promise<void> => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const list = (await (await check(await fetch(path, { signal: controller.signal }))).json()) as { metadata: { resourceVersion: string }; items: KubeObject[] };
        onList(list.items);
        const res = await check(await fetch(`${path}?watch=1&resourceVersion=${encodeURIComponent(list.metadata.resourceVersion)}`, { signal: controller.signal }));
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let nl;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (line) onEvent(JSON.parse(line) as WatchEvent);
          }
        }
      } catch {
        // Aborted or failed: start again unless stopped.
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

export type { KubeObject };
