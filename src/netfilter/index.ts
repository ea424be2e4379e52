/** The netfilter model and its iptables text adapter. */
export * from './types';
export { Rule, interfaceMatches, type AddressCondition, type InterfaceCondition, type ProtocolCondition, type RuleInit } from './rule';
export { Chain } from './chain';
export { Table, type TableIssue } from './table';
export { Ruleset } from './ruleset';
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
export { parseRuleset, parseRuleSpec, restoreRuleset, type RestoreOptions, type RestoreResult } from './iptables-text.parser';
export { formatRule, formatRuleSpec, printIptablesSave, writeIptablesSave, type SaveOptions } from './iptables-save.printer';
export { JumpTarget } from './targets/jump.target';
export { InMemoryRecentStore } from './recent-store';
export { StaticHostView, type HostInterface } from './host-view';
