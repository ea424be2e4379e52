/** The standard verdicts: `-j ACCEPT`, `-j DROP`, `-j RETURN`. */
import type { TargetModule } from '../module';
import type { Target, TargetOutcome } from '../types';

class StandardTarget implements Target {
  private readonly outcome: TargetOutcome;

  constructor(readonly name: 'ACCEPT' | 'DROP' | 'RETURN') {
    this.outcome = Object.freeze(name === 'RETURN' ? { kind: 'return' } : { kind: 'verdict', verdict: name });
  }

  apply(): TargetOutcome {
    return this.outcome;
  }

  save(): string {
    return '-j ' + this.name;
  }
}

/** One shared instance each: standard targets carry no options. */
export const ACCEPT: Target = new StandardTarget('ACCEPT');
export const DROP: Target = new StandardTarget('DROP');
export const RETURN: Target = new StandardTarget('RETURN');

function standardModule(target: Target): TargetModule {
  return { kind: 'target', name: target.name, options: [], build: () => target };
}

export const acceptTargetModule = standardModule(ACCEPT);
export const dropTargetModule = standardModule(DROP);
export const returnTargetModule = standardModule(RETURN);
