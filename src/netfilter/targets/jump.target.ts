/**
 * `-j CHAIN` and `-g CHAIN`: continue in a user chain of the same table. A
 * jump comes back to the next rule when that chain returns; a goto returns
 * to whoever called the current chain. The target holds the chain's name,
 * not the chain: the table resolves it (and refuses unknown chains) when
 * the rule is added.
 */
import type { Target, TargetOutcome } from '../types';

export class JumpTarget implements Target {
  private outcome: TargetOutcome | undefined;
  private text: string | undefined;
  /** @internal The chain this name last resolved to, in which table version (see Table.resolve). */
  resolvedIn = 0;
  resolved: unknown;

  constructor(
    readonly chain: string,
    readonly isGoto = false,
  ) {}

  get name(): string {
    return this.chain;
  }

  apply(): TargetOutcome {
    return (this.outcome ??= Object.freeze(
      this.isGoto ? { kind: 'goto', chain: this.chain } : { kind: 'jump', chain: this.chain },
    ));
  }

  /** Kept once made: one jump target serves every rule that jumps to its chain. */
  save(): string {
    return (this.text ??= (this.isGoto ? '-g ' : '-j ') + this.chain);
  }
}
