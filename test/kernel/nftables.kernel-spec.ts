/**
 * Kernel agreement for kube-proxy's nftables mode: the transactions our
 * nftables proxier writes for every golden scenario of fixtures/kube-proxy
 * (both families), and for a sequence of syncs that retires a Service, are
 * loaded with the real `nft -f` into a fresh network namespace, and the table
 * the kernel then lists must hold the chains, rule counts, sets, maps and
 * element counts our model of the table holds, and `nft list table` must print
 * what our printer prints (hash sets' element order aside).
 *
 * Needs root, iproute2 and nft (Debian's `nftables`); skipped (and says so) elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../src/common/clock';
import { emptyRuleset, tableKey, type NftRuleset } from '../../src/nftables/model';
import { renderNftRules } from '../../src/kube-proxy/render';
import { NftProxier } from '../../src/kube-proxy/nftables/nft-proxier';
import { populateNft, upstreamNftProxier } from '../support/kube-proxy/nftables';
import { overallObjects } from '../support/kube-proxy/upstream-cases';
import { scenarios } from '../support/kube-proxy/scenarios';
import { applyTransaction } from '../../src/nftables/transaction';
import { printTable } from '../../src/nftables/list-printer';
import { parseNftTransaction } from '../../src/nftables/transaction-parser';
import { parseNftList } from '../../src/nftables/list-parser';
import { parseDuration } from '../../src/nftables/values';
import { kernelDescribe, networkNamespacesUnavailable } from './support/netns';
import type { EndpointSlice } from '../../src/kube-proxy/types';

const describeKernel = kernelDescribe('kernel agreement suite (nftables)', networkNamespacesUnavailable(['nft'], 'apt-get install -y nftables iproute2'));

function run(args: string[], input?: string): string {
  const r = spawnSync(args[0], args.slice(1), { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** What a table holds, reduced to what both sides print alike: chains with rule counts, sets and maps with element counts. */
interface Shape {
  chains: Record<string, number>;
  sets: Record<string, number>;
}

/** The shape of `nft -j list table` output. */
function kernelShape(json: string): Shape {
  const shape: Shape = { chains: {}, sets: {} };
  for (const item of (JSON.parse(json) as { nftables: Record<string, { name?: string; chain?: string; elem?: unknown[] }>[] }).nftables) {
    if (item.chain) shape.chains[item.chain.name!] = 0;
  }
  for (const item of (JSON.parse(json) as { nftables: Record<string, { name?: string; chain?: string; elem?: unknown[] }>[] }).nftables) {
    if (item.rule) shape.chains[item.rule.chain!] += 1;
    if (item.set) shape.sets[`set ${item.set.name}`] = item.set.elem?.length ?? 0;
    if (item.map) shape.sets[`map ${item.map.name}`] = item.map.elem?.length ?? 0;
  }
  return shape;
}

function modelShape(ruleset: NftRuleset, family: 'ip' | 'ip6'): Shape {
  const t = ruleset.tables.get(tableKey(family, 'kube-proxy'))!;
  const shape: Shape = { chains: {}, sets: {} };
  for (const c of t.chains.values()) shape.chains[c.name] = c.rules.length;
  for (const s of t.sets.values()) shape.sets[`${s.kind} ${s.name}`] = s.elements.size;
  return shape;
}

/**
 * A listing with each `elements = { … }` list on one line, sorted: a hash set's
 * elements come back in the kernel's hash order, which changes from load to
 * load. The number of lines each list took is kept, so wrapping is compared too.
 */
function canonicalListing(text: string): string {
  return text.replace(/elements = \{ ([\s\S]*?) \}\n/g, (_m, inner: string) => {
    const items = inner.split(/,\s+/).map((i) => i.trim());
    return `elements(${inner.split('\n').length} lines) = { ${items.sort().join(', ')} }\n`;
  });
}

function withNamespace(test: (nft: (input?: string, ...args: string[]) => string) => void): void {
  const ns = `nsimnft-${Math.random().toString(36).slice(2, 8)}`;
  run(['ip', 'netns', 'add', ns]);
  try {
    test((input, ...args) => run(['ip', 'netns', 'exec', ns, 'nft', ...(input === undefined ? args : ['-f', '-'])], input));
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

describeKernel('kube-proxy nftables transactions in the real kernel', () => {
  it.each(scenarios().map((s) => [s.name, s] as const))('%s: accepted by nft -f, and the kernel holds the table we model', (_name, scenario) => {
    const request = { ...scenario.request, config: { ...scenario.request.config, mode: 'nftables' }, format: undefined, serviceCIDRs: ['172.30.0.0/16', 'fd00:10:96::/112'] };
    const result = renderNftRules(request);
    const family = result.family === 'IPv6' ? 'ip6' : 'ip';
    const model = emptyRuleset();
    applyTransaction(model, parseNftTransaction(result.text));
    withNamespace((nft) => {
      nft(result.text);
      expect(kernelShape(nft(undefined, '-j', 'list', 'table', family, 'kube-proxy'))).toEqual(modelShape(model, family));
      const table = model.tables.get(tableKey(family, 'kube-proxy'))!;
      expect(canonicalListing(printTable(table))).toBe(canonicalListing(nft(undefined, 'list', 'table', family, 'kube-proxy')));
    });
  });

  it('partial syncs: an endpoint added, then a Service retired (chains flushed, deleted a second later), as the kernel allows', () => {
    const clock = new ManualClock(0);
    const { proxier } = upstreamNftProxier('IPv4', clock);
    const objects = overallObjects();
    populateNft(proxier, objects);
    withNamespace((nft) => {
      const step = (p: NftProxier) => {
        const r = p.sync();
        if (r.text) nft(r.text);
        expect(kernelShape(nft(undefined, '-j', 'list', 'table', 'ip', 'kube-proxy'))).toEqual(modelShape(p.ruleset, 'ip'));
        expect(canonicalListing(printTable(p.table()!))).toBe(canonicalListing(nft(undefined, 'list', 'table', 'ip', 'kube-proxy')));
        return r;
      };
      expect(step(proxier).full).toBe(true);
      // A partial sync: svc1 gains an endpoint (a chain written, the service chain rewritten, no map touched).
      const slice1 = objects.find((o) => o.metadata.namespace === 'ns1' && !('spec' in o)) as EndpointSlice;
      proxier.onEndpointSliceUpdate(undefined, { ...slice1, endpoints: [{ addresses: ['10.180.0.1'] }, { addresses: ['10.180.0.9'] }] });
      const grown = step(proxier);
      expect(grown.full).toBe(false);
      expect(grown.text).not.toContain('flush map');
      const svc4 = objects.find((o) => o.metadata.namespace === 'ns4' && 'spec' in o)!;
      proxier.onServiceDelete(svc4);
      const second = step(proxier);
      expect(second.staleDeleted).toEqual([]);
      expect(second.text).toContain('flush chain ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80\n');
      clock.advance(1500);
      const third = step(proxier);
      expect(third.staleDeleted.sort()).toEqual([
        'endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80',
        'endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80',
        'external-LAUZTJTB-ns4/svc4/tcp/p80',
        'service-LAUZTJTB-ns4/svc4/tcp/p80',
      ]);
      expect(Object.keys(modelShape(proxier.ruleset, 'ip').chains).filter((c) => c.includes('ns4/'))).toEqual([]);
    });
  });

  it('start-up over a table a previous kube-proxy left (upstream\'s TestSyncProxyRulesStartup): the kernel takes the first sync and holds the table we model', () => {
    const left = readFileSync(join(__dirname, '../../fixtures/kube-proxy/upstream-nftables/base.nft'), 'utf8') + readFileSync(join(__dirname, '../../fixtures/kube-proxy/upstream-nftables/startup/loaded.nft'), 'utf8');
    const ruleset = emptyRuleset();
    applyTransaction(ruleset, parseNftTransaction(left));
    const { proxier } = upstreamNftProxier('IPv4', new ManualClock(0), ruleset);
    // Every Service of upstream's overall test: the loaded ones change, the others are new.
    populateNft(proxier, overallObjects());
    withNamespace((nft) => {
      nft(left);
      const first = proxier.sync();
      expect(first.text).toContain('delete chain ip kube-proxy nat-prerouting\n');
      nft(first.text);
      expect(kernelShape(nft(undefined, '-j', 'list', 'table', 'ip', 'kube-proxy'))).toEqual(modelShape(proxier.ruleset, 'ip'));
      expect(canonicalListing(printTable(proxier.table()!))).toBe(canonicalListing(nft(undefined, 'list', 'table', 'ip', 'kube-proxy')));
    });
  });

  it('timed elements (fixtures/nftables/element-timeouts.nft): the kernel lists what our printer prints, its time left read back as listed', () => {
    const text = readFileSync(join(__dirname, '../../fixtures/nftables/element-timeouts.nft'), 'utf8');
    const model = emptyRuleset();
    applyTransaction(model, parseNftTransaction(text));
    withNamespace((nft) => {
      nft(text);
      const listed = nft(undefined, 'list', 'ruleset');
      // The model holds each element as added (its whole time left); the kernel's has run down a little since.
      const ranDown = (listing: string) => canonicalListing(listing.replace(/ expires [0-9dhms]+/g, ' expires …'));
      expect(ranDown(printTable(model.tables.get(tableKey('ip', 'kube-proxy'))!))).toBe(ranDown(listed));
      // The listing read back keeps each element's time left, and prints as nft printed it.
      const read = emptyRuleset();
      applyTransaction(read, parseNftList(listed));
      expect(printTable(read.tables.get(tableKey('ip', 'kube-proxy'))!)).toBe(listed);
      const given = model.tables.get(tableKey('ip', 'kube-proxy'))!.sets.get('ports')!.elements;
      for (const e of read.tables.get(tableKey('ip', 'kube-proxy'))!.sets.get('ports')!.elements.values()) {
        const full = parseDuration(given.get(e.key[0])!.expires ?? given.get(e.key[0])!.timeout ?? '1m')!;
        const left = parseDuration(e.expires!)!;
        expect(left).toBeLessThanOrEqual(full);
        expect(left).toBeGreaterThan(full - 10_000);
      }
    });
  });
});
