/**
 * Kernel agreement for kube-proxy's output: every IPv4 golden scenario of
 * fixtures/kube-proxy is loaded into a fresh network namespace as a real
 * node gets it (kube-proxy's text through the real `iptables-restore`, then
 * its jump rules with `iptables -I ... 1`), and the kernel's `iptables-save`
 * must be byte for byte what our engine prints after loading the same sync.
 * Packet probes through these rulesets are in netfilter.kernel-spec.ts (the
 * fixtures/netfilter rulesets are kube-proxy-style).
 *
 * Needs root, iptables, iproute2 and nfacct; skipped (and says so) elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { renderRules } from '../../src/kube-proxy/render';
import { loadSync } from '../../src/kube-proxy/ruleset-loader';
import { scenarios } from '../support/kube-proxy/scenarios';
import { printIptablesSave } from '../../src/netfilter/iptables-save.printer';
import { Ruleset } from '../../src/netfilter/ruleset';
import { kernelDescribe, kernelSuiteUnavailable } from './support/netns';

const describeKernel = kernelDescribe('kernel agreement suite (kube-proxy)', kernelSuiteUnavailable());

function run(args: string[], input?: string): string {
  const r = spawnSync(args[0], args.slice(1), { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** iptables-save without its `#` lines. */
const body = (text: string) =>
  text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');

const IPV4 = scenarios().filter((s) => s.request.family === 'IPv4');

describeKernel('kube-proxy golden outputs in the real kernel', () => {
  it.each(IPV4.map((s) => [s.name, s] as const))('%s: accepted, and printed as we print it', (_name, scenario) => {
    const result = renderRules(scenario.request);
    const ns = `nsimkp-${Math.random().toString(36).slice(2, 8)}`;
    run(['ip', 'netns', 'add', ns]);
    try {
      const inNs = (...args: string[]) => ['ip', 'netns', 'exec', ns, ...args];
      for (const name of new Set([...result.text.matchAll(/--nfacct-name\s+(\S+)/g)].map((m) => m[1]))) run(inNs('nfacct', 'add', name));
      run(inNs('iptables-restore', '--noflush'), result.text);
      for (const { table, chain } of result.ensureChains) {
        spawnSync('ip', ['netns', 'exec', ns, 'iptables', '-t', table, '-N', chain]); // exists already: fine
      }
      for (const rule of result.ensureRules) {
        const check = spawnSync('sh', ['-c', `ip netns exec ${ns} iptables -t ${rule.table} -C ${rule.chain} ${rule.rule}`]);
        if (check.status !== 0) run(['sh', '-c', `ip netns exec ${ns} iptables -t ${rule.table} -I ${rule.chain} 1 ${rule.rule}`]);
      }
      const kernel = run(inNs('iptables-save'));
      const ruleset = new Ruleset();
      loadSync(ruleset, result);
      expect(body(printIptablesSave(ruleset))).toBe(body(kernel));
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});
