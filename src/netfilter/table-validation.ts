/**
 * What the kernel checks when a table is loaded (and a restore checks at
 * COMMIT): no chain may reach itself through jumps and gotos, and a target
 * or match limited to some hooks (DNAT: PREROUTING and OUTPUT) may only be
 * reachable from those.
 */
import type { Rule } from './rule';
import type { Table } from './table';
import type { Chain } from './chain';
import { HOOK_BIT, HOOKS, hookMask } from './types';

/** Something wrong with a table as a whole, found when it is committed. */
export interface TableIssue {
  readonly message: string;
  /** The rule at fault, when there is one. */
  readonly rule?: Rule;
  readonly chain?: string;
}

/** Distinguishes one `validateTable` run's scratch marks on chains from the last. */
let validationMark = 0;

function hookNames(mask: number): string {
  return HOOKS.filter((h) => (mask & HOOK_BIT[h]) !== 0).join(', ');
}

/**
 * What the kernel checks when a table is loaded: no chain may reach
 * itself through jumps and gotos, and a target or match limited to some
 * hooks (DNAT: PREROUTING and OUTPUT) may only be reachable from those.
 */
export function validateTable(table: Table): TableIssue | undefined {
  const mark = ++validationMark;
  // 1. Depth-first from every built-in chain: a chain met again while it is
  //    still being walked closes a loop. The finishing order, reversed, is a
  //    topological order of everything reachable.
  const finished: Chain[] = [];
  const stack: Chain[] = [];
  const next: number[] = [];
  for (const root of table.builtinChains()) {
    if (root.visitMark === mark) continue;
    root.visitMark = mark;
    stack.push(root);
    next.push(0);
    while (stack.length > 0) {
      const top = stack.length - 1;
      const chain = stack[top];
      const rules = chain.rules;
      let descended = false;
      while (next[top] < rules.length) {
        const rule = rules[next[top]++];
        if (rule.target === undefined) continue;
        const child = table.resolve(rule.target);
        if (child === undefined) continue;
        if (child.visitMark === mark) {
          if (child.doneMark !== mark) {
            const path = stack.slice(stack.indexOf(child)).map((c) => c.name);
            return { message: `jump loop: ${[...path, child.name].join(' -> ')}`, rule, chain: chain.name };
          }
          continue;
        }
        child.visitMark = mark;
        stack.push(child);
        next.push(0);
        descended = true;
        break;
      }
      if (!descended) {
        chain.doneMark = mark;
        finished.push(chain);
        stack.pop();
        next.pop();
      }
    }
  }
  // 2. Which hooks reach each chain, parents before children; and whether
  //    a target or match limited to some hooks is reached from another.
  for (const chain of finished) chain.reach = chain.hook === undefined ? 0 : HOOK_BIT[chain.hook];
  for (let i = finished.length - 1; i >= 0; i--) {
    const chain = finished[i];
    const reach = chain.reach;
    for (const rule of chain.rules) {
      const target = rule.target;
      // A rule without a target still has its matches checked.
      if (target !== undefined && target.chain !== undefined) {
        const child = table.resolve(target);
        if (child !== undefined) child.reach |= reach;
      } else if (target !== undefined && target.hooks !== undefined && (reach & ~hookMask(target.hooks)) !== 0) {
        return {
          message: `${target.name} in chain "${chain.name}" is reachable from ${hookNames(reach & ~hookMask(target.hooks))}, but only allowed in ${target.hooks.join(', ')}`,
          rule,
          chain: chain.name,
        };
      }
      for (const m of rule.matches) {
        if (m.hooks !== undefined && (reach & ~hookMask(m.hooks)) !== 0) {
          return {
            message: `-m ${m.name} in chain "${chain.name}" is reachable from ${hookNames(reach & ~hookMask(m.hooks))}, but only allowed in ${m.hooks.join(', ')}`,
            rule,
            chain: chain.name,
          };
        }
      }
    }
  }
  return undefined;
}
