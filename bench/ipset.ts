/**
 * ipset benchmark. Run with
 *   npm run bench -- ipset
 *
 * 1. `ipset restore` text of 100,000 elements, for a hash:ip and a hash:net
 *    (prefix lengths /16 to /32, so a test tries up to 17 of them): time to
 *    read it (the kernel's bucket layout, resizes included) and to print
 *    `ipset save`.
 * 2. Sampled traces (mode sample) through one `-m set --match-set S src`
 *    rule, against each set: packets whose source is in the set and not.
 * Times by the process's CPU time (steadier on a shared machine).
 */
import { ManualClock } from '../src/common/clock';
import { SeededRandom } from '../src/common/random';
import { NetfilterEngine } from '../src/netfilter/engine';
import { restoreRuleset } from '../src/netfilter/iptables-text.parser';
import { IpsetStore } from '../src/netfilter/ipset/ipset-store';
import { printIpsetSave, restoreIpsets } from '../src/netfilter/ipset/ipset-text';
import { Ruleset } from '../src/netfilter/ruleset';

const ELEMENTS = 100_000;
const TRACES = 50_000;

function cpuMs(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function line(what: string, figure: string): void {
  process.stdout.write(`ipset: ${what}: ${figure}\n`);
}

const random = new SeededRandom(42);
const address = (): string => `10.${random.int(256)}.${random.int(256)}.${random.int(256)}`;

function text(type: 'hash:ip' | 'hash:net'): { text: string; members: string[] } {
  const lines = [`create big ${type} family inet hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x2c0ffee5`];
  const members: string[] = [];
  for (let i = 0; i < ELEMENTS; i++) {
    const ip = address();
    members.push(ip);
    lines.push(type === 'hash:ip' ? `add -exist big ${ip}` : `add -exist big ${ip}/${16 + random.int(17)}`);
  }
  return { text: lines.join('\n') + '\n', members };
}

for (const type of ['hash:ip', 'hash:net'] as const) {
  const { text: input, members } = text(type);
  let store = new IpsetStore();
  const read = cpuMs(() => {
    store = new IpsetStore();
    restoreIpsets(store, input, { now: 0 });
  });
  let printed = '';
  const print = cpuMs(() => {
    printed = printIpsetSave(store, 0);
  });
  line(`${type}, ${ELEMENTS} elements: restore / save`, `${read.toFixed(0)} ms / ${print.toFixed(0)} ms (${printed.length} bytes, hashsize ${store.get('big')!.hashsize})`);

  const ruleset = new Ruleset();
  restoreRuleset(ruleset, '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set big src -j DROP\nCOMMIT\n', { ipsets: store });
  const engine = new NetfilterEngine({ ruleset, clock: new ManualClock(), random: new SeededRandom(1), ipsets: store, recordSteps: false });
  for (const inSet of [true, false]) {
    let dropped = 0;
    const ms = cpuMs(() => {
      for (let i = 0; i < TRACES; i++) {
        const source = inSet ? members[i % members.length] : `11.${random.int(256)}.${random.int(256)}.${random.int(256)}`;
        const o = engine.sample({ hook: 'PREROUTING', inInterface: 'eth0', protocol: 'udp', source, sourcePort: 1024 + (i % 60000), destination: '192.168.0.2', destinationPort: 53 });
        if (o.verdict === 'DROP') dropped++;
      }
    });
    line(`${type}, sampled traces, source ${inSet ? 'in' : 'not in'} the set`, `${Math.round((TRACES / ms) * 1000)}/s (${dropped} of ${TRACES} dropped)`);
  }
}
