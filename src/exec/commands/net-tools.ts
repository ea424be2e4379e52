/**
 * The pod's view of its own network: `hostname`, `ip addr`, `ip route`,
 * `ping` (busybox), and, in hostNetwork pods (kube-proxy's), the node's
 * `iptables-save`, `nft list ruleset` and `conntrack -L`.
 */
import type { ConntrackListEntry } from '../../netfilter/conntrack';
import { printIptablesSave } from '../../netfilter/iptables-save.printer';
import { printTableWith } from '../../nftables/list-printer';
import { NFT_FAMILIES, type NftFamily, type NftTable } from '../../nftables/model';
import type { CommandHandler } from '../shell';
import { RESOLVER_TIMEOUT_MS, type PodTools } from './http-clients';
import { firstAddress } from '../pod-sockets';

function hostname(tools: PodTools): CommandHandler {
  return (ctx) => {
    if (ctx.args[0] === '-i' || ctx.args[0] === '-I') ctx.out(`${tools.view.address}${ctx.args[0] === '-I' ? ' ' : ''}\n`);
    else if (ctx.args[0] === '-f') ctx.out(`${tools.view.hostname}\n`);
    else if (ctx.args.length > 0 && !ctx.args[0].startsWith('-')) {
      ctx.err('hostname: sethostname: Operation not permitted\n');
      return 1;
    } else ctx.out(`${tools.view.hostname}\n`);
    return 0;
  };
}

function ip(tools: PodTools): CommandHandler {
  return (ctx) => {
    const family = ctx.args.includes('-6') ? 'ipv6' : 'ipv4';
    const args = ctx.args.filter((a) => a !== '-4' && a !== '-6' && a !== '-o');
    const object = args[0] ?? '';
    const verb = args[1] ?? 'show';
    if (!['show', 'list', 'ls'].includes(verb)) {
      ctx.err('RTNETLINK answers: Operation not permitted\n');
      return 2;
    }
    if (['a', 'ad', 'addr', 'address'].includes(object)) {
      ctx.out(tools.view.ipAddr());
      return 0;
    }
    if (['r', 'ro', 'route'].includes(object)) {
      ctx.out(tools.view.ipRoute(family));
      return 0;
    }
    ctx.err(`ip: kube-netsim knows "ip addr" and "ip route"${object ? `, not "ip ${object}"` : ''}\n`);
    return 1;
  };
}

/**
 * busybox ping: ICMP echo, each one a sampled ping of the traffic engine
 * (one id per run, as busybox uses its pid): a pod or a node answers, with
 * the TTL the reply arrives with (64 from the same node's pods, 63 crossing a
 * node, 62 crossing two); a ClusterIP does not (kube-proxy's iptables rules
 * only NAT the Service's ports), nor does anything outside the cluster, and
 * a rule that drops the echo or its reply silences it. One second of
 * simulated time per packet.
 */
function ping(tools: PodTools): CommandHandler {
  return (ctx) => {
    let count = 4;
    let target: string | undefined;
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i];
      if (a === '-c') count = Number(ctx.args[++i]);
      else if (/^-c[0-9]+$/.test(a)) count = Number(a.slice(2));
      else if (a === '-W' || a === '-w' || a === '-i' || a === '-s') i++;
      else if (!a.startsWith('-')) target = a;
    }
    if (target === undefined || !Number.isInteger(count) || count < 1) {
      ctx.err('BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: ping [OPTIONS] HOST\n');
      return 1;
    }
    const lookup = tools.sockets.lookup(tools.view, target);
    if (lookup.kind !== 'addresses') {
      if (lookup.kind === 'no-server') ctx.shell.elapsedMs += RESOLVER_TIMEOUT_MS;
      ctx.err(`ping: bad address '${target}'\n`);
      return 1;
    }
    // An IPv4 address first, else an IPv6 one (pinged with ICMPv6 echo, as busybox's ping does).
    const address = firstAddress(lookup);
    if (address === undefined) {
      ctx.err(`ping: bad address '${target}'\n`);
      return 1;
    }
    const id = tools.sockets.echoId();
    ctx.out(`PING ${target} (${address}): 56 data bytes\n`);
    let received = 0;
    for (let seq = 0; seq < count; seq++) {
      const { ttl } = tools.sockets.echo(tools.view, address, id);
      if (ttl !== undefined) {
        ctx.out(`64 bytes from ${address}: seq=${seq} ttl=${ttl} time=0.100 ms\n`);
        received++;
      }
      ctx.shell.elapsedMs += 1000;
    }
    const loss = Math.round(((count - received) / count) * 100);
    ctx.out(`\n--- ${target} ping statistics ---\n${count} packets transmitted, ${received} packets received, ${loss}% packet loss\n`);
    if (received > 0) ctx.out('round-trip min/avg/max = 0.100/0.100/0.100 ms\n');
    return received > 0 ? 0 : 1;
  };
}

function iptablesSave(tools: PodTools): CommandHandler {
  return (ctx) => {
    if (!tools.view.pod.hostNetwork) {
      ctx.err('sh: iptables-save: not found\n');
      return 127;
    }
    const table = ctx.args.indexOf('-t') >= 0 ? ctx.args[ctx.args.indexOf('-t') + 1] : undefined;
    const ruleset = tools.view.network.ruleset(tools.view.pod.node!);
    ctx.out(printIptablesSave(ruleset, { counters: ctx.args.includes('-c'), tables: table ? [table as never] : undefined }));
    return 0;
  };
}

/**
 * `nft list ruleset [FAMILY]` and `nft list table [FAMILY] NAME`: kube-proxy's
 * tables in nftables mode (iptables-nft's own tables are not shown: see
 * docs/nftables.md). Nothing else: the node's rules are kube-proxy's to write.
 */
function nft(tools: PodTools): CommandHandler {
  return (ctx) => {
    if (!tools.view.pod.hostNetwork) {
      ctx.err('sh: nft: not found\n');
      return 127;
    }
    const args = ctx.args.filter((a) => a !== '-n' && a !== '-a');
    const node = tools.view.pod.node!;
    const tables = [...tools.view.network.cluster.kubeProxies.proxy(node).nftables.tables.values()];
    // The elements the node's packets added to its sets (session affinity) are listed, as by the kernel.
    const hooks = tools.view.network.nftHooks(node);
    const now = tools.view.network.cluster.clock.now();
    const printTable = (t: NftTable) => printTableWith(t, hooks && ((set) => hooks.addedElements(set, now)));
    const isFamily = (w: string | undefined): w is NftFamily => (NFT_FAMILIES as readonly (string | undefined)[]).includes(w);
    if (args[0] === 'list' && args[1] === 'ruleset' && args.length <= 3 && (args[2] === undefined || isFamily(args[2]))) {
      ctx.out(tables.filter((t) => !args[2] || t.family === args[2]).map(printTable).join(''));
      return 0;
    }
    if (args[0] === 'list' && args[1] === 'table' && (args.length === 3 || (args.length === 4 && isFamily(args[2])))) {
      const family = args.length === 4 ? args[2] : 'ip';
      const name = args[args.length - 1];
      const table = tables.find((t) => t.family === family && t.name === name);
      if (!table) {
        const command = args.join(' ');
        ctx.err(`Error: No such file or directory\n${command}\n${' '.repeat(command.length - name.length)}${'^'.repeat(name.length)}\n`);
        return 1;
      }
      ctx.out(printTable(table));
      return 0;
    }
    ctx.err(`Error: this nft lists only: nft list ruleset [FAMILY], nft list table [FAMILY] NAME\n`);
    return 1;
  };
}

/** `conntrack -L`'s filters of one entry: the original tuple's (`-s`, `-d`, `--sport`, `--dport`), the reply's (`-r`, `-q`), `-p`. */
const CONNTRACK_FILTERS: Record<string, (e: ConntrackListEntry, value: string) => boolean> = {
  '-p': (e, v) => e.protocol === v.toLowerCase(),
  '-s': (e, v) => e.original.source === v,
  '-d': (e, v) => e.original.destination === v,
  '-r': (e, v) => e.reply.source === v,
  '-q': (e, v) => e.reply.destination === v,
  '--sport': (e, v) => e.original.sourcePort === Number(v),
  '--dport': (e, v) => e.original.destinationPort === Number(v),
};
const CONNTRACK_ALIASES: Record<string, string> = {
  '--proto': '-p', '--src': '-s', '--orig-src': '-s', '--dst': '-d', '--orig-dst': '-d', '--reply-src': '-r', '--reply-dst': '-q',
  '--orig-port-src': '--sport', '--orig-port-dst': '--dport',
};

/** The entries `conntrack -L ARGS` keeps, or what is wrong with ARGS. */
function conntrackFilter(args: string[]): ((e: ConntrackListEntry) => boolean) | string {
  const checks: ((e: ConntrackListEntry) => boolean)[] = [];
  for (let i = 0; i < args.length; i++) {
    const option = CONNTRACK_ALIASES[args[i]] ?? args[i];
    const test = CONNTRACK_FILTERS[option];
    if (!test) return `kube-netsim's conntrack -L filters by -p, -s, -d, -r, -q, --sport and --dport only, not '${args[i]}'`;
    const value = args[++i];
    if (value === undefined) return `option '${args[i - 1]}' requires an argument`;
    checks.push((e) => test(e, value));
  }
  return (e) => checks.every((check) => check(e));
}

function conntrack(tools: PodTools): CommandHandler {
  return (ctx) => {
    if (!tools.view.pod.hostNetwork) {
      ctx.err('sh: conntrack: not found\n');
      return 127;
    }
    if (!ctx.args.includes('-L') && !ctx.args.includes('--dump')) {
      ctx.err('conntrack v1.4.8 (conntrack-tools): kube-netsim runs conntrack -L only\n');
      return 1;
    }
    const filter = conntrackFilter(ctx.args.filter((a) => a !== '-L' && a !== '--dump'));
    if (typeof filter === 'string') {
      ctx.err(`conntrack v1.4.8 (conntrack-tools): ${filter}\n`);
      return 2;
    }
    const entries = tools.view.network.conntrack(tools.view.pod.node!).list().filter(filter);
    ctx.out(entries.map((e) => `${e.text}\n`).join(''));
    ctx.err(`conntrack v1.4.8 (conntrack-tools): ${entries.length} flow entries have been shown.\n`);
    return 0;
  };
}

export function netCommands(tools: PodTools): [string, CommandHandler][] {
  return [
    ['hostname', hostname(tools)],
    ['ip', ip(tools)],
    ['ping', ping(tools)],
    ['iptables-save', iptablesSave(tools)],
    ['nft', nft(tools)],
    ['conntrack', conntrack(tools)],
  ];
}
