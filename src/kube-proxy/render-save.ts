/**
 * The `save` form of a render: kube-proxy's first sync loaded into empty
 * tables and printed as `iptables-save` prints them.
 */
import { printIptablesSave } from '../netfilter/iptables-save.printer';
import { Ruleset } from '../netfilter/ruleset';
import { RenderResult } from './render';
import { loadSync } from './ruleset-loader';

export function renderedSave(result: RenderResult): string {
  const ruleset = new Ruleset();
  loadSync(ruleset, result);
  return printIptablesSave(ruleset);
}
