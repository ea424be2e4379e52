/**
 * The parts of a rule that kube-netsim does not model, kept when a restore is
 * asked to (`unsupported: 'keep'`): a real iptables match, an option of a
 * match, or a target that Linux has and we do not (see real-extensions.ts).
 *
 * A rule with such a part is kept with its line as given (it prints back so,
 * byte for byte). The traversal forks at an unmodelled match (the rule
 * matches / does not match), and stops the trace at an unmodelled target
 * whose effect it cannot follow; each outcome names the rules it depends on.
 */
import { RuleSyntaxError } from './module';
import type { UnmodelledEffect } from './real-extensions';
import type { Match, Target, TargetOutcome } from './types';

/**
 * A rule uses a real iptables module (or option, or table) that we do not
 * model: refused unless the restore keeps such rules. Tables cannot be kept.
 */
export class UnsupportedError extends RuleSyntaxError {
  constructor(
    message: string,
    readonly keepable: boolean,
  ) {
    super(message);
    this.name = 'UnsupportedError';
  }
}

/** `-m NAME ...` (or one option of a modelled match) that we do not evaluate: the walker decides it. */
export class UnmodelledMatch implements Match {
  readonly unmodelled = true;

  constructor(
    /** The module's name (`owner`), or `conntrack` for an option of a modelled module. */
    readonly name: string,
    /** The words that followed it, as given (`--uid-owner`, `1000`). */
    readonly words: readonly string[],
  ) {}

  /** Never asked by the traversal (it forks instead); a caller outside it gets "no match". */
  matches(): boolean {
    return false;
  }

  save(): string {
    return this.words.length === 0 ? `-m ${this.name}` : `-m ${this.name} ${this.words.join(' ')}`;
  }
}

const CONTINUES: TargetOutcome = Object.freeze({ kind: 'unmodelled', continues: true });
const STOPS: TargetOutcome = Object.freeze({ kind: 'unmodelled', continues: false });

/** `-j NAME ...` that we do not model. */
export class UnmodelledTarget implements Target {
  constructor(
    readonly name: string,
    readonly words: readonly string[],
    readonly effect: UnmodelledEffect,
  ) {}

  apply(): TargetOutcome {
    return this.effect === 'continue' ? CONTINUES : STOPS;
  }

  save(): string {
    return this.words.length === 0 ? `-j ${this.name}` : `-j ${this.name} ${this.words.join(' ')}`;
  }
}
