/**
 * The URL holds the request and the position in it, so that a link opens the
 * same trace: `?from=pod/default/web-1&to=web:80&protocol=tcp&outcome=1&step=7`.
 * An outside client is `from=external:203.0.113.7`. Pure functions.
 */
import type { TrafficRequest } from './answer';

export interface ViewState {
  request: TrafficRequest | null;
  outcome: number;
  step: number;
}

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

function index(value: string | null): number {
  const n = Number(value);
  return value !== null && Number.isInteger(n) && n >= 0 ? n : 0;
}

export function parseViewState(search: string): ViewState {
  const q = new URLSearchParams(search);
  const from = q.get('from');
  const to = q.get('to');
  if (!from || !to) return { request: null, outcome: 0, step: 0 };
  const request: TrafficRequest = { from: from.startsWith('external:') ? { external: from.slice('external:'.length) } : from, to };
  const protocol = q.get('protocol');
  if (protocol && PROTOCOLS.has(protocol)) request.protocol = protocol as TrafficRequest['protocol'];
  return { request, outcome: index(q.get('outcome')), step: index(q.get('step')) };
}

export function formatViewState(state: ViewState): string {
  if (!state.request) return '';
  const q = new URLSearchParams();
  const { from, to, protocol } = state.request;
  q.set('from', typeof from === 'string' ? from : `external:${from.external}`);
  q.set('to', to);
  if (protocol && protocol !== 'tcp') q.set('protocol', protocol);
  if (state.outcome) q.set('outcome', String(state.outcome));
  if (state.step) q.set('step', String(state.step));
  return `?${q.toString()}`;
}
