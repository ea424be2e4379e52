/**
 * ICMP echo for the kernel agreement suite: iputils `ping` in a namespace,
 * and where the echo landed, read from the node's conntrack (the reply
 * tuple's source is the address that answered, after any DNAT).
 */
import { spawnSync } from 'node:child_process';

/** What a ping saw: every echo answered, an ICMP error (a REJECT), or nothing (a DROP). */
export type PingResult = 'answered' | 'error' | 'silent';

/** `ping -c COUNT` from a namespace (from `source` when given). */
export function ping(ns: string, destination: string, count: number, source?: string): PingResult {
  const args = ['netns', 'exec', ns, 'ping', '-n', '-c', String(count), '-i', '0.05', '-W', '1', ...(source ? ['-I', source] : []), destination];
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 30000 });
  const out = `${r.stdout}${r.stderr}`;
  if (r.error) throw r.error;
  if (/ 0 received/.test(out)) return /\+\d+ errors/.test(out) ? 'error' : 'silent';
  if (new RegExp(` ${count} received`).test(out)) return 'answered';
  throw new Error(`ping in ${ns}: some echoes answered, some not:\n${out}`);
}

/** The addresses that answered echoes to `destination`, by the node's conntrack (reply tuples' sources). */
export function echoAnswerers(node: string, destination: string): string[] {
  const r = spawnSync('ip', ['netns', 'exec', node, 'conntrack', '-L', '-p', 'icmp', '-d', destination], { encoding: 'utf8' });
  const found = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const sources = [...line.matchAll(/src=(\S+)/g)].map((m) => m[1]);
    if (sources.length >= 2) found.add(sources[1]);
  }
  return [...found].sort();
}
