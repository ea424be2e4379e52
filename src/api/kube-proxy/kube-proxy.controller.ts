import { Body, Controller, Delete, Get, Header, HttpCode, Inject, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Cluster } from '../../cluster/cluster';
import { diffNodeRules } from '../../cluster/node-rules-diff';
import { nodeRulesDiffText } from '../../cluster/node-rules-diff-text';
import { unsupportedValue } from '../../cluster/validation/field-errors';
import { DomainError } from '../../common/domain-error';
import { KubeProxyConfiguration } from '../../kube-proxy/config';
import { decodeKubeProxyConfiguration } from '../../kube-proxy/config-decoding';
import { isJsonObject } from '../../common/own-keys';
import { proxyModeOf, renderNftRules, renderRules, RenderRequest } from '../../kube-proxy/render';
import { renderedSave } from '../../kube-proxy/render-save';
import { formatRule, printIptablesSave } from '../../netfilter/iptables-save.printer';
import { TableName } from '../../netfilter/types';
import { NftProxier } from '../../kube-proxy/nftables/nft-proxier';
import { Proxier } from '../../kube-proxy/proxier';
import { NFT_FAMILIES, NftFamily } from '../../nftables/model';
import { printTableWith } from '../../nftables/list-printer';
import { ApiJsonAnswer, ApiNegotiatedAnswer, ApiTextAnswer, CHAIN_SCHEMA, KUBE_PROXY_STATUS_SCHEMA, OBJECT_SCHEMA } from '../answer-docs';
import { negotiateFormat } from '../answer-format';
import { sendAnswer } from '../json-body';
import { loadRules, UNSUPPORTED_QUERY } from '../netfilter/netfilter.controller';
import { CLUSTER, TRAFFIC } from '../tokens';
import { TrafficSimulator } from '../../dataplane/traffic';
import { IpsetStore } from '../../netfilter/ipset/ipset-store';
import { restoreIpsets } from '../../netfilter/ipset/ipset-text';
import { noIpv6Tables } from './node-trace.controller';
import { NODE_RULES_BODY_SCHEMA, NODE_RULES_DIFF_SCHEMA, NODE_RULES_SCHEMA } from './node-rules.schemas';

const TABLES: readonly TableName[] = ['raw', 'mangle', 'nat', 'filter', 'security'];

function tableParam(table: string | undefined): TableName | undefined {
  if (table === undefined || table === '') return undefined;
  if (!TABLES.includes(table as TableName)) {
    throw unsupportedValue('table', table, [...TABLES].sort());
  }
  return table as TableName;
}

function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new DomainError('INVALID', `${name}: Invalid value: ${JSON.stringify(value)}: must be true or false`, { field: name });
}

const FAMILIES = ['ipv4', 'ipv6'] as const;

/** The `family` query parameter: `ipv4` (the default) or `ipv6`; anything else is a 400 naming it. */
function familyParam(family: string | undefined): (typeof FAMILIES)[number] {
  if (family === undefined || family === '') return 'ipv4';
  if (!(FAMILIES as readonly string[]).includes(family)) {
    throw new DomainError('BAD_REQUEST', `family: Unsupported value: ${JSON.stringify(family)}: supported values: "ipv4", "ipv6"`, {
      field: 'family',
      causeReason: 'FieldValueNotSupported',
    });
  }
  return family as (typeof FAMILIES)[number];
}

/** The `*table ... COMMIT` section of a restore text, or the whole text. */
function restoreSection(text: string, table: TableName | undefined): string {
  if (!table) return text;
  const start = text.indexOf(`*${table}\n`);
  if (start < 0) return '';
  const end = text.indexOf('COMMIT\n', start);
  return text.slice(start, end < 0 ? undefined : end + 'COMMIT\n'.length);
}

/** What a kube-proxy rule is about, read from its comment and target. */
function refersTo(text: string): { servicePort?: string; endpoint?: string } {
  const comment = /--comment "?([^"]+?)"?(?: -|$)/.exec(text)?.[1];
  const servicePort = comment && /^[a-z0-9-]+\/[a-z0-9-]+(:[a-z0-9-]+)?/.exec(comment)?.[0];
  const endpoint = /--to-destination (\S+)/.exec(text)?.[1];
  return { ...(servicePort ? { servicePort } : {}), ...(endpoint ? { endpoint } : {}) };
}

/** The header that says whose rules a node runs: `imported` or `kube-proxy`. */
const RULES_HEADER = 'Netsim-Rules';

/** The header that says which mode the node's kube-proxy runs in: `iptables` or `nftables`. */
const MODE_HEADER = 'Netsim-Proxy-Mode';

/** What kube-proxy last wrote with `iptables-restore`: nothing in nftables mode. */
function lastRestoreText(proxier: Proxier | NftProxier): string {
  return proxier instanceof Proxier ? proxier.lastRestoreText() : '';
}

/** The `family` query parameter of the nftables view: an nftables family (`ip`, `ip6`, ...), as `nft list ruleset FAMILY` takes it. */
function nftFamilyParam(family: string | undefined): NftFamily | undefined {
  if (family === undefined || family === '') return undefined;
  if (!(NFT_FAMILIES as readonly string[]).includes(family)) throw unsupportedValue('family', family, [...NFT_FAMILIES]);
  return family as NftFamily;
}

/**
 * The texts of a `PUT .../iptables` body: the rules text itself (text/plain),
 * or `{"rules": "...", "ipsets": "..."}` as `POST /netsim/v1/trace` takes them.
 */
function importedTexts(body: unknown): { rules: string; ipsets?: string } {
  if (typeof body === 'string' && body.trim() !== '') return { rules: body };
  if (body === undefined || body === null || body === '') {
    throw new DomainError('BAD_REQUEST', 'the request body is empty: send the node\'s iptables-save text (Content-Type: text/plain) or {"rules": "<iptables-save text>"}');
  }
  if (!isJsonObject(body)) throw new DomainError('BAD_REQUEST', 'expected the node\'s iptables-save text (text/plain) or a JSON object {"rules": "<iptables-save text>"}');
  for (const key of Object.keys(body)) {
    if (key !== 'rules' && key !== 'ipsets') throw new DomainError('BAD_REQUEST', `strict decoding error: unknown field "${key}"`);
  }
  const { rules, ipsets } = body as { rules?: unknown; ipsets?: unknown };
  if (rules === undefined) throw new DomainError('INVALID', 'rules: Required value', { field: 'rules', causeReason: 'FieldValueRequired' });
  if (typeof rules !== 'string') throw new DomainError('INVALID', 'rules: Invalid value: must be a string (the iptables-save text)', { field: 'rules' });
  if (ipsets !== undefined && typeof ipsets !== 'string') throw new DomainError('INVALID', 'ipsets: Invalid value: must be a string (the ipset save text)', { field: 'ipsets' });
  return ipsets === undefined ? { rules } : { rules, ipsets };
}

@ApiTags('kube-proxy')
@Controller('netsim/v1')
export class KubeProxyApiController {
  constructor(
    @Inject(CLUSTER) private readonly cluster: Cluster,
    @Inject(TRAFFIC) private readonly traffic: TrafficSimulator,
  ) {}

  @Get('nodes/:node/iptables')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({
    summary: "A node's netfilter tables as text",
    description:
      '`format=save` (default): what `iptables-save` would print on the node now; `format=restore`: the text kube-proxy last wrote (`iptables-restore --noflush` input). `table` limits to one table; `counters=true` prints packet and byte counters (`iptables-save -c`). ' +
      'The `Netsim-Rules` header says whose rules they are: `kube-proxy`, or `imported` (PUT on this path); `Netsim-Proxy-Mode` the mode of the node\'s kube-proxy (`iptables`, or `nftables`: its Service rules are then in GET .../nftables).',
  })
  @ApiQuery({ name: 'format', required: false, enum: ['save', 'restore'] })
  @ApiQuery({ name: 'table', required: false, enum: TABLES })
  @ApiQuery({ name: 'counters', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'family', required: false, enum: FAMILIES, description: '`ipv4` (default): iptables; `ipv6`: ip6tables, what the node\'s IPv6 proxier wrote (dual-stack and IPv6 clusters)' })
  @ApiTextAnswer('iptables-save text, or the iptables-restore text kube-proxy wrote')
  iptables(
    @Param('node') node: string,
    @Res({ passthrough: true }) res: FastifyReply,
    @Query('format') format?: string,
    @Query('table') table?: string,
    @Query('counters') counters?: string,
    @Query('family') family?: string,
  ): string {
    const proxy = this.cluster.kubeProxies.proxy(node);
    const which = tableParam(table);
    const withCounters = flag(counters, 'counters');
    if (familyParam(family) === 'ipv6') {
      if (!proxy.ipv6) {
        throw noIpv6Tables();
      }
      res.header(RULES_HEADER, 'kube-proxy');
      switch (format ?? 'save') {
        case 'save':
          return printIptablesSave(proxy.ipv6.ruleset, { counters: withCounters, tables: which ? [which] : undefined });
        case 'restore':
          return restoreSection(lastRestoreText(proxy.ipv6.proxier), which);
        default:
          throw unsupportedValue('format', format, ['restore', 'save']);
      }
    }
    res.header(RULES_HEADER, proxy.imported ? 'imported' : 'kube-proxy');
    res.header(MODE_HEADER, proxy.mode);
    switch (format ?? 'save') {
      case 'save':
        return printIptablesSave(proxy.ruleset, { counters: withCounters, tables: which ? [which] : undefined });
      case 'restore':
        return restoreSection(lastRestoreText(proxy.proxier), which);
      default:
        throw unsupportedValue('format', format, ['restore', 'save']);
    }
  }

  @Get('nodes/:node/nftables')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({
    summary: "A node's nftables ruleset as text",
    description:
      '`format=list` (default): what `nft list ruleset` prints on the node now: in nftables mode the `ip` (and, with IPv6, `ip6`) `kube-proxy` tables, in iptables mode nothing ' +
      '(iptables-nft\'s own tables are not shown: see GET .../iptables). `format=nft`: the transactions kube-proxy sent to `nft -f` in its last sync (empty in iptables mode). ' +
      '`family` limits to one nftables family (`nft list ruleset ip6`). The `Netsim-Proxy-Mode` header says the node\'s kube-proxy mode.',
  })
  @ApiQuery({ name: 'format', required: false, enum: ['list', 'nft'] })
  @ApiQuery({ name: 'family', required: false, enum: NFT_FAMILIES })
  @ApiTextAnswer('`nft list ruleset` text, or the `nft -f` transaction kube-proxy last sent')
  nftables(@Param('node') node: string, @Res({ passthrough: true }) res: FastifyReply, @Query('format') format?: string, @Query('family') family?: string): string {
    const proxy = this.cluster.kubeProxies.proxy(node);
    const only = nftFamilyParam(family);
    res.header(RULES_HEADER, proxy.imported ? 'imported' : 'kube-proxy');
    res.header(MODE_HEADER, proxy.mode);
    switch (format ?? 'list') {
      case 'list': {
        // With the elements the node's packets added to its sets (session affinity), as the kernel lists them.
        const hooks = this.traffic.network.nftHooks(node);
        const now = this.cluster.clock.now();
        return [...proxy.nftables.tables.values()]
          .filter((t) => !only || t.family === only)
          .map((t) => printTableWith(t, hooks && ((set) => hooks.addedElements(set, now))))
          .join('');
      }
      case 'nft': {
        const proxiers = [proxy.proxier, proxy.ipv6?.proxier].filter((p): p is NftProxier => p instanceof NftProxier);
        return proxiers
          .filter((p) => !only || only === (p.family === 'IPv6' ? 'ip6' : 'ip'))
          .map((p) => p.lastTransactionText())
          .join('');
      }
      default:
        throw unsupportedValue('format', format, ['list', 'nft']);
    }
  }

  @Put('nodes/:node/iptables')
  @ApiOperation({
    summary: "Put a real node's rules on a simulated node, in place of what its kube-proxy writes",
    description:
      'The body is the node\'s `iptables-save` text (`Content-Type: text/plain`), or `{"rules": "..."}` as `POST /netsim/v1/trace` takes it. ' +
      'All or nothing: a refusal (422) lists every line it cannot load, and the node keeps what it had. From then on traffic, `kubectl exec`, the UI and diagnose ' +
      'cross these rules (flannel\'s rules are not added to them), and the node\'s kube-proxy writes nothing there, as if it were replaced, until DELETE on this path.',
  })
  @ApiConsumes('text/plain', 'application/json')
  @ApiBody({ schema: NODE_RULES_BODY_SCHEMA })
  @ApiQuery(UNSUPPORTED_QUERY)
  @ApiJsonAnswer(NODE_RULES_SCHEMA, 'The node now runs the imported rules')
  importRules(@Param('node') node: string, @Body() body: unknown, @Query('unsupported') unsupported: string | undefined, @Res({ passthrough: true }) res: FastifyReply) {
    this.cluster.kubeProxies.proxy(node);
    const texts = importedTexts(body);
    // The node's ipsets are replaced with the ones sent (none: empty), all or nothing with the rules.
    const ipsets = new IpsetStore();
    if (texts.ipsets !== undefined) restoreIpsets(ipsets, texts.ipsets, { now: this.cluster.clock.now(), random: this.cluster.random });
    const ruleset = loadRules(texts.rules, unsupported, false, res, ipsets);
    const rules = ruleset.tables().reduce((n, t) => n + t.ruleCount(), 0);
    let kept = 0;
    for (const t of ruleset.tables()) for (const c of t.chains()) for (const r of c.rules) if (r.kept !== undefined) kept++;
    const imported = this.cluster.kubeProxies.importRules(node, ruleset, { rules, kept });
    this.traffic.network.replaceIpsets(node, ipsets);
    res.header(RULES_HEADER, 'imported');
    return { node, rules: 'imported', importedAt: new Date(imported.at).toISOString(), loaded: { rules, kept } };
  }

  @Delete('nodes/:node/iptables')
  @ApiOperation({
    summary: 'Give a node back to its kube-proxy',
    description: 'Drops the imported rules: the node gets fresh tables (the kubelet\'s chains) and a full kube-proxy sync. 404 when the node runs no imported rules.',
  })
  @ApiJsonAnswer(NODE_RULES_SCHEMA, "The node runs its kube-proxy's rules again")
  releaseRules(@Param('node') node: string, @Res({ passthrough: true }) res: FastifyReply) {
    this.cluster.kubeProxies.releaseRules(node);
    this.traffic.network.replaceIpsets(node, new IpsetStore());
    res.header(RULES_HEADER, 'kube-proxy');
    return { node, rules: 'kube-proxy' };
  }

  @Get('nodes/:node/iptables/diff')
  @ApiOperation({
    summary: "Is the node's kube-proxy view out of date? Its rules against what kube-proxy would write now",
    description:
      "Compares the rules on the node (imported, or kube-proxy's) with what kube-proxy would write now for the cluster's Services and EndpointSlices, " +
      'and says in words, per Service port and endpoint, what is missing, what is stale (with the reason: the Service gone, the pod gone or not Ready) and what differs ' +
      '(entry points, probabilities, order, other rules). Chains of other programs (CNI, firewall) are not compared. `unified=true` adds a `diff -u` of the two texts.',
  })
  @ApiQuery({ name: 'unified', required: false, enum: ['true', 'false'], description: 'Add a unified diff of the two iptables-save texts (kube-proxy\'s and the kubelet\'s lines).' })
  @ApiNegotiatedAnswer(NODE_RULES_DIFF_SCHEMA)
  diff(
    @Param('node') node: string,
    @Query('format') format: string | undefined,
    @Query('unified') unified: string | undefined,
    @Req() req: FastifyRequest,
    @Res() res: FastifyReply,
  ): void {
    const answerFormat = negotiateFormat(format, req.headers.accept);
    const answer = diffNodeRules(this.cluster, node, { unified: flag(unified, 'unified') });
    res.header('Vary', 'Accept');
    res.header(RULES_HEADER, answer.rules);
    sendAnswer(res, answerFormat, answer, answerFormat === 'text' ? nodeRulesDiffText(answer) : []);
  }

  @Get('nodes/:node/iptables/chains/:chain')
  @ApiOperation({ summary: "One chain of a node's tables: its rules with numbers, counters, and the Service or endpoint each is about" })
  @ApiQuery({ name: 'table', required: false, enum: TABLES, description: 'Default: the first table holding the chain, nat before filter' })
  @ApiJsonAnswer(CHAIN_SCHEMA, 'The chain, its policy and its rules')
  chain(@Param('node') node: string, @Param('chain') chain: string, @Query('table') table?: string) {
    const { ruleset } = this.cluster.kubeProxies.proxy(node);
    const which = tableParam(table);
    const candidates: TableName[] = which ? [which] : ['nat', 'filter', 'mangle', 'raw', 'security'];
    for (const name of candidates) {
      const found = ruleset.table(name)?.chain(chain);
      if (!found) continue;
      return {
        node,
        table: name,
        chain,
        policy: found.builtin ? found.policy : null,
        rules: found.rules.map((rule, i) => {
          const text = formatRule(chain, rule);
          return { number: i + 1, rule: text, packets: rule.packets, bytes: rule.bytes, ...refersTo(text) };
        }),
      };
    }
    throw new DomainError('NOT_FOUND', `chain "${chain}" not found in ${which ?? 'any table'} on node ${node}`, { name: chain });
  }

  @Get('nodes/:node/kube-proxy')
  @ApiOperation({ summary: "A node's kube-proxy: configuration, last sync (full or partial, lines written), sync history and counters" })
  @ApiJsonAnswer(KUBE_PROXY_STATUS_SCHEMA, 'The kube-proxy of the node')
  status(@Param('node') node: string) {
    const proxy = this.cluster.kubeProxies.proxy(node);
    const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    const status = proxy.proxier.status();
    const times = {
      importedRules: proxy.imported ? { at: iso(proxy.imported.at), rules: proxy.imported.rules, kept: proxy.imported.kept } : null,
      configuration: proxy.config,
      lastSync: status.lastSync ? { ...status.lastSync, at: iso(status.lastSync.at) } : null,
      lastFullSyncAt: iso(status.lastFullSyncAt),
      nextSyncAt: iso(status.nextSyncAt),
      history: status.history.map((h) => ({ ...h, at: iso(h.at) })),
    };
    // nftables mode's status says its mode; iptables mode's gets it here, with its cleanup time.
    if ('mode' in status) return { ...status, ...times };
    return { mode: 'iptables', ...status, ...times, lastCleanupAt: iso(status.lastCleanupAt) };
  }

  @Get('kube-proxy/config')
  @ApiOperation({ summary: 'The cluster-wide KubeProxyConfiguration' })
  @ApiJsonAnswer(OBJECT_SCHEMA, 'The KubeProxyConfiguration, defaults filled in')
  clusterConfig() {
    return this.cluster.kubeProxies.clusterConfiguration();
  }

  @Put('kube-proxy/config')
  @ApiOperation({ summary: 'Replace the cluster-wide KubeProxyConfiguration; every node without its own re-syncs' })
  @ApiBody({ schema: { type: 'object', example: { iptables: { masqueradeAll: true, minSyncPeriod: '1s' }, clusterCIDR: '10.244.0.0/16' } } })
  @ApiJsonAnswer(OBJECT_SCHEMA, 'The cluster-wide KubeProxyConfiguration now, defaults filled in')
  setClusterConfig(@Body() body: unknown, @Res({ passthrough: true }) res: FastifyReply) {
    this.cluster.kubeProxies.setClusterConfig(configOf(body, res));
    return this.cluster.kubeProxies.clusterConfiguration();
  }

  @Put('nodes/:node/kube-proxy/config')
  @ApiOperation({ summary: 'Give one node its own KubeProxyConfiguration (`{}` returns it to the cluster-wide one)' })
  @ApiBody({ schema: { type: 'object' } })
  @ApiJsonAnswer(OBJECT_SCHEMA, 'The configuration the node now runs with')
  setNodeConfig(@Param('node') node: string, @Body() body: unknown, @Res({ passthrough: true }) res: FastifyReply) {
    this.cluster.kubeProxies.setNodeConfig(node, body === null || (typeof body === 'object' && body !== null && Object.keys(body).length === 0) ? null : configOf(body, res));
    return this.cluster.kubeProxies.proxy(node).config;
  }

  @Post('kube-proxy/render')
  @HttpCode(200)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({
    summary: 'The rules kube-proxy would write for these Services and EndpointSlices on this node (stateless)',
    description:
      'Services keep the ClusterIPs they are given. In iptables mode `format=restore` (default) is kube-proxy’s iptables-restore input; `save` is what iptables-save then prints. With `config.mode: nftables` the answer is the transaction kube-proxy’s nftables proxier sends to `nft -f` (`format=nft`); `serviceCIDRs` gives the Service CIDRs its cluster-ips-check rule drops unallocated addresses of.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      example: {
        config: { clusterCIDR: '10.244.0.0/16' },
        node: { name: 'test-node', addresses: ['192.168.0.2'] },
        objects: [],
        format: 'restore',
      },
    },
  })
  @ApiTextAnswer('The rules as text')
  render(@Body() body: unknown, @Res({ passthrough: true }) res: FastifyReply): string {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new DomainError('BAD_REQUEST', 'expected a render request: {config, node, objects, format}');
    }
    const given = body as RenderRequest;
    const request = isJsonObject(given.config) ? { ...given, config: configOf(given.config, res) } : given;
    if (proxyModeOf(request) === 'nftables') return renderNftRules(request).text;
    const format = request.format ?? 'restore';
    const result = renderRules({ ...request, format: 'restore' });
    if (format === 'save') return renderedSave(result);
    if (format !== 'restore') {
      throw unsupportedValue('format', format, ['restore', 'save']);
    }
    return result.text;
  }
}

/**
 * The configuration as kube-proxy decodes it: unknown fields dropped, with
 * kube-proxy's lenient-decoding message as an HTTP warning (`299`, as the API
 * server sends its warnings); an unknown feature gate refused.
 */
function configOf(body: unknown, res: FastifyReply): KubeProxyConfiguration {
  const { config, warnings } = decodeKubeProxyConfiguration(body);
  // A header carries visible ASCII only: anything else (a field name in another script) is escaped.
  const quoted = (w: string) => JSON.stringify(w).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (warnings.length) res.header('Warning', warnings.map((w) => `299 - ${quoted(w)}`).join(', '));
  return config;
}
