/** The netfilter model, its iptables text adapter, and the traversal engine (host, conntrack, NAT, index). */
export * from './types';
export { Rule, interfaceMatches, type AddressCondition, type InterfaceCondition, type ProtocolCondition, type RuleInit } from './rule';
export { Chain } from './chain';
export { Table } from './table';
export { validateTable, type TableIssue } from './table-validation';
export { Ruleset } from './ruleset';
export { formatIp, tryParseIp, familyOf, type IpAddress, type IpFamily } from './address';
export { detectDumpFamily } from './dump-family';
export {
  ModuleRegistry,
  OptionTable,
  RuleSyntaxError,
  findOption,
  requireOption,
  refuseTogether,
  type MatchModule,
  type TargetModule,
  type OptionSpec,
  type ParsedOption,
  type RuleBuildContext,
} from './module';
export { createDefaultRegistry, defaultRegistry } from './builtin-modules';
export { parseRuleset, restoreRuleset, type KeptLine, type RestoreOptions, type RestoreResult } from './iptables-text.parser';
export { parseRuleSpec } from './rule-spec.parser';
export { formatRule, formatRuleSpec, printIptablesSave, writeIptablesSave, type SaveOptions } from './iptables-save.printer';
export { JumpTarget } from './targets/jump.target';
export { InMemoryRecentStore } from './recent-store';
export { StaticHostView, type HostInterface } from './host-view';
export { MapMatchState } from './recent-store';
export {
  Host,
  DEFAULT_HOST_SPEC,
  DEFAULT_HOST6_SPEC,
  formatRoute,
  type HostSpec,
  type InterfaceSpec,
  type RouteSpec,
  type Route,
  type RouteLookup,
  type HostInterfaceModel,
} from './host';
export {
  ConnectionTracker,
  Connection,
  CONNTRACK_TIMEOUTS,
  DEFAULT_CONNTRACK_MAX,
  invertTuple,
  type Tuple,
  type Direction,
  type ConntrackListEntry,
} from './conntrack';
export { chooseMapping, jhash2, type NatChoice } from './nat';
export { ChainIndex, chainIndex, INDEX_MIN_RULES } from './chain-index';
export { HOOK_STAGES, walkChain, MAX_JUMP_DEPTH, type Stage } from './traversal';
export { NetfilterEngine, type EngineOptions, type TraceMode } from './engine';
export { outcomeView, type RuleDependency, type TraceOutcome } from './outcome';
export { packetView, type PacketView } from './packet-view';
export { replyTo, type TraceInput } from './trace-input';
export { stepView } from './trace-steps';
export * from './ipset';
