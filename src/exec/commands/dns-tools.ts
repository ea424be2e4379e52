/**
 * `nslookup`, `dig` and `host` as bind9's dnsutils print them (the image
 * Kubernetes' DNS debugging guide uses), answering from the pod's resolver
 * (PodSockets.lookup): nslookup and host apply the search path, dig only
 * with `+search`.
 */
import type { CommandHandler } from '../shell';
import type { Lookup } from '../pod-sockets';
import type { PodTools } from './http-clients';

/** CoreDNS's `kubernetes` plugin answers with a TTL of 30 s (kind's Corefile: `ttl 30`). */
const TTL = 30;
const NO_SERVERS = ';; connection timed out; no servers could be reached\n';

function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** `nslookup -type=srv NAME`: the records as `service = PRIORITY WEIGHT PORT TARGET.`. */
function nslookupSrv(tools: PodTools, name: string): CommandHandler {
  return (ctx) => {
    const server = tools.view.nameserver();
    const srv = tools.sockets.lookupSrv(tools.view, name);
    if (!srv) {
      ctx.out(NO_SERVERS);
      return 1;
    }
    const header = `Server:\t\t${server}\nAddress:\t${server}#53\n\n`;
    if (srv.kind === 'nxdomain') {
      ctx.out(`${header}** server can't find ${name}: NXDOMAIN\n\n`);
      return 1;
    }
    ctx.out(`${header}${srv.records.map((r) => `${srv.fqdn}\tservice = ${r.priority} ${r.weight} ${r.port} ${r.target}.\n`).join('')}\n`);
    return 0;
  };
}

const SRV_TYPE = /^-(type|query|q|querytype)=srv$/i;

function nslookup(tools: PodTools): CommandHandler {
  return (ctx) => {
    const names = ctx.args.filter((a) => !a.startsWith('-'));
    const name = names[0];
    if (name !== undefined && ctx.args.some((a) => SRV_TYPE.test(a))) return nslookupSrv(tools, name)(ctx);
    if (name === undefined) {
      ctx.err('nslookup: kube-netsim runs nslookup NAME only (no interactive mode)\n');
      return 1;
    }
    const server = tools.view.nameserver();
    const lookup = tools.sockets.lookup(tools.view, name);
    if (lookup.kind === 'no-server') {
      ctx.out(NO_SERVERS);
      return 1;
    }
    const header = `Server:\t\t${server}\nAddress:\t${server}#53\n\n`;
    if (lookup.kind === 'nxdomain') {
      ctx.out(`${header}** server can't find ${name}: NXDOMAIN\n\n`);
      return 1;
    }
    let text = header;
    if (lookup.cname?.length) {
      let from = lookup.fqdn;
      for (const c of lookup.cname) {
        text += `${from}\tcanonical name = ${c}.\n`;
        from = c;
      }
    }
    for (const a of [...lookup.addresses, ...(lookup.aaaa ?? [])]) text += `Name:\t${lookup.cname?.length ? lookup.cname[lookup.cname.length - 1] : lookup.fqdn}\nAddress: ${a}\n`;
    ctx.out(`${text}\n`);
    return 0;
  };
}

function host(tools: PodTools): CommandHandler {
  return (ctx) => {
    const name = ctx.args.filter((a) => !a.startsWith('-'))[0];
    if (name === undefined) {
      ctx.err('Usage: host [-aCdilrTvVw] [-c class] [-N ndots] [-t type] [-W time]\n            [-R number] [-m flag] [-p port] hostname [server]\n');
      return 1;
    }
    const lookup = tools.sockets.lookup(tools.view, name);
    if (lookup.kind === 'no-server') {
      ctx.out(NO_SERVERS);
      return 1;
    }
    if (lookup.kind === 'nxdomain') {
      ctx.out(`Host ${name} not found: 3(NXDOMAIN)\n`);
      return 1;
    }
    let from = lookup.fqdn;
    for (const c of lookup.cname ?? []) {
      ctx.out(`${from} is an alias for ${c}.\n`);
      from = c;
    }
    for (const a of lookup.addresses) ctx.out(`${from} has address ${a}\n`);
    for (const a of lookup.aaaa ?? []) ctx.out(`${from} has IPv6 address ${a}\n`);
    return 0;
  };
}

function dig(tools: PodTools): CommandHandler {
  return (ctx) => {
    let short = false;
    let search = false;
    let aaaa = false;
    let name: string | undefined;
    for (const a of ctx.args) {
      if (a === '+short') short = true;
      else if (a === '+search') search = true;
      else if (a === '+nosearch') search = false;
      else if (/^AAAA$/i.test(a)) aaaa = true;
      else if (a.startsWith('+') || a.startsWith('@') || a.startsWith('-') || /^(A|IN|SRV)$/i.test(a)) continue;
      else name = a;
    }
    if (name === undefined) name = '.';
    if (ctx.args.some((a) => /^srv$/i.test(a))) return digSrv(tools, name, short, search)(ctx);
    const lookup: Lookup = tools.sockets.lookup(tools.view, name, { search });
    const server = tools.view.nameserver();
    if (lookup.kind === 'no-server') {
      ctx.out(short ? NO_SERVERS : `\n; <<>> DiG 9.18.28 <<>> ${ctx.args.join(' ')}\n;; global options: +cmd\n${NO_SERVERS}`);
      return 9;
    }
    const answers: string[] = [];
    if (lookup.kind === 'addresses') {
      let from = fqdn(lookup.fqdn);
      for (const c of lookup.cname ?? []) {
        answers.push(short ? fqdn(c) : `${from}\t${TTL}\tIN\tCNAME\t${fqdn(c)}`);
        from = fqdn(c);
      }
      if (aaaa) for (const a of lookup.aaaa ?? []) answers.push(short ? a : `${from}\t${TTL}\tIN\tAAAA\t${a}`);
      else for (const a of lookup.addresses) answers.push(short ? a : `${from}\t${TTL}\tIN\tA\t${a}`);
    }
    if (short) {
      ctx.out(answers.map((a) => `${a}\n`).join(''));
      return 0;
    }
    const asked = lookup.kind === 'addresses' ? lookup.fqdn : search ? lookup.tried[lookup.tried.length - 1] : name;
    const status = lookup.kind === 'addresses' ? 'NOERROR' : 'NXDOMAIN';
    const now = new Date(tools.view.cluster.clock.now());
    const lines = [
      '',
      `; <<>> DiG 9.18.28 <<>> ${ctx.args.join(' ')}`,
      ';; global options: +cmd',
      ';; Got answer:',
      `;; ->>HEADER<<- opcode: QUERY, status: ${status}, id: ${1 + tools.view.cluster.random.int(65535)}`,
      `;; flags: qr aa rd; QUERY: 1, ANSWER: ${answers.length}, AUTHORITY: ${answers.length ? 0 : 1}, ADDITIONAL: 1`,
      ';; WARNING: recursion requested but not available',
      '',
      ';; QUESTION SECTION:',
      `;${fqdn(asked)}\t\tIN\t${aaaa ? 'AAAA' : 'A'}`,
      '',
    ];
    if (answers.length) lines.push(';; ANSWER SECTION:', ...answers, '');
    else lines.push(';; AUTHORITY SECTION:', `cluster.local.\t${TTL}\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 1767225600 7200 1800 86400 ${TTL}`, '');
    lines.push(';; Query time: 0 msec', `;; SERVER: ${server}#53(${server}) (UDP)`, `;; WHEN: ${now.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) (\S+) GMT$/, '$1 $3 $2 $5 UTC $4')}`, '', '');
    ctx.out(lines.join('\n'));
    return 0;
  };
}

/** `dig SRV NAME`: the SRV answers and, as CoreDNS sends them, the targets' A records as additional answers. */
function digSrv(tools: PodTools, name: string, short: boolean, search: boolean): CommandHandler {
  return (ctx) => {
    const srv = tools.sockets.lookupSrv(tools.view, name, { search });
    const server = tools.view.nameserver();
    if (!srv) {
      ctx.out(short ? NO_SERVERS : `\n; <<>> DiG 9.18.28 <<>> ${ctx.args.join(' ')}\n;; global options: +cmd\n${NO_SERVERS}`);
      return 9;
    }
    const records = srv.kind === 'srv' ? srv.records : [];
    if (short) {
      ctx.out(records.map((r) => `${r.priority} ${r.weight} ${r.port} ${r.target}.\n`).join(''));
      return 0;
    }
    const asked = srv.kind === 'srv' ? srv.fqdn : search ? srv.tried[srv.tried.length - 1] : name;
    const answers = records.map((r) => `${fqdn(asked)}\t${TTL}\tIN\tSRV\t${r.priority} ${r.weight} ${r.port} ${r.target}.`);
    const additional = records.map((r) => `${r.target}.\t${TTL}\tIN\tA\t${r.address}`);
    const now = new Date(tools.view.cluster.clock.now());
    const lines = [
      '',
      `; <<>> DiG 9.18.28 <<>> ${ctx.args.join(' ')}`,
      ';; global options: +cmd',
      ';; Got answer:',
      `;; ->>HEADER<<- opcode: QUERY, status: ${records.length ? 'NOERROR' : 'NXDOMAIN'}, id: ${1 + tools.view.cluster.random.int(65535)}`,
      `;; flags: qr aa rd; QUERY: 1, ANSWER: ${answers.length}, AUTHORITY: ${answers.length ? 0 : 1}, ADDITIONAL: ${additional.length + 1}`,
      ';; WARNING: recursion requested but not available',
      '',
      ';; QUESTION SECTION:',
      `;${fqdn(asked)}\t\tIN\tSRV`,
      '',
    ];
    if (answers.length) lines.push(';; ANSWER SECTION:', ...answers, '', ';; ADDITIONAL SECTION:', ...additional, '');
    else lines.push(';; AUTHORITY SECTION:', `cluster.local.\t${TTL}\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 1767225600 7200 1800 86400 ${TTL}`, '');
    lines.push(';; Query time: 0 msec', `;; SERVER: ${server}#53(${server}) (UDP)`, `;; WHEN: ${now.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) (\S+) GMT$/, '$1 $3 $2 $5 UTC $4')}`, '', '');
    ctx.out(lines.join('\n'));
    return 0;
  };
}

export function dnsCommands(tools: PodTools): [string, CommandHandler][] {
  return [
    ['nslookup', nslookup(tools)],
    ['host', host(tools)],
    ['dig', dig(tools)],
  ];
}
