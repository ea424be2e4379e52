/**
 * A table's state as the `add` commands that would create it, in the order
 * knftables' fake prints its dump (the form upstream kube-proxy's tests
 * compare): the table, its chains, sets and maps by name, each chain's rules
 * in order, then each set's and map's elements.
 */
import type { NftTable } from '../../../src/nftables/model';
import { commandText, type NftCommand } from '../../../src/nftables/transaction';

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function dumpCommands(t: NftTable): NftCommand[] {
  const at = { family: t.family, table: t.name };
  const out: NftCommand[] = [{ ...at, verb: 'add', object: 'table', comment: t.comment }];
  const chains = [...t.chains.values()].sort(byName);
  for (const c of chains) out.push({ ...at, verb: 'add', object: 'chain', name: c.name, base: c.base, comment: c.comment });
  const sets = [...t.sets.values()].sort(byName);
  for (const kind of ['set', 'map'] as const) {
    for (const s of sets) {
      if (s.kind !== kind) continue;
      out.push({ ...at, verb: 'add', object: kind, name: s.name, type: s.type, flags: s.flags, timeout: s.timeout, comment: s.comment });
    }
  }
  for (const c of chains) {
    for (const r of c.rules) out.push({ ...at, verb: 'add', object: 'rule', chain: c.name, rule: r.text, comment: r.comment });
  }
  for (const s of sets) {
    for (const e of s.elements.values()) out.push({ ...at, verb: 'add', object: 'element', set: s.name, element: e });
  }
  return out;
}

export function dumpText(t: NftTable): string {
  return dumpCommands(t)
    .map((c) => commandText(c) + '\n')
    .join('');
}
