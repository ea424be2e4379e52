/**
 * `-j SECMARK --selctx CONTEXT` and `-j CONNSECMARK --save|--restore`
 * (mangle and security tables): SELinux packet labels. kube-netsim has no
 * SELinux and nothing it traces reads a label, so both change nothing: the
 * packet goes on to the next rule, and the trace step says so. (A kernel
 * without SELinux refuses SECMARK when the rule is loaded; a dump taken from
 * a host that had it is read as given.)
 */
import { RuleSyntaxError, findOption, refuseTogether, requireOption, type TargetModule } from '../module';
import { detach } from '../text/values';
import type { Target, TargetOutcome } from '../types';

const NO_SELINUX = 'SELinux labels are not modelled (no SELinux here): changes nothing, the packet goes on';

export class SecmarkTarget implements Target {
  readonly name = 'SECMARK';
  private readonly outcome: TargetOutcome = Object.freeze({ kind: 'continue', note: NO_SELINUX });

  constructor(readonly context: string) {}

  apply(): TargetOutcome {
    return this.outcome;
  }

  save(): string {
    return '-j SECMARK --selctx ' + this.context;
  }
}

export class ConnsecmarkTarget implements Target {
  readonly name = 'CONNSECMARK';
  private readonly outcome: TargetOutcome = Object.freeze({ kind: 'continue', note: NO_SELINUX });

  constructor(readonly mode: 'save' | 'restore') {}

  apply(): TargetOutcome {
    return this.outcome;
  }

  save(): string {
    return '-j CONNSECMARK --' + this.mode;
  }
}

export const secmarkTargetModule: TargetModule = {
  kind: 'target',
  name: 'SECMARK',
  tables: ['mangle', 'security'],
  options: [{ name: 'selctx', args: 1 }],
  build(options) {
    const context = requireOption(options, 'selctx', 'SECMARK').args[0];
    if (context === '') throw new RuleSyntaxError('SECMARK: --selctx must not be empty');
    return new SecmarkTarget(detach(context));
  },
};

export const connsecmarkTargetModule: TargetModule = {
  kind: 'target',
  name: 'CONNSECMARK',
  tables: ['mangle', 'security'],
  options: [
    { name: 'save', args: 0 },
    { name: 'restore', args: 0 },
  ],
  build(options) {
    refuseTogether(options, 'CONNSECMARK', ['save', 'restore']);
    if (findOption(options, 'save')) return new ConnsecmarkTarget('save');
    if (findOption(options, 'restore')) return new ConnsecmarkTarget('restore');
    throw new RuleSyntaxError('CONNSECMARK: one of --save or --restore is required');
  },
};
