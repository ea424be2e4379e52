/**
 * `-j NFQUEUE [--queue-num N | --queue-balance A:B [--queue-cpu-fanout]]
 * [--queue-bypass]`: hand the packet to a user-space program reading
 * netfilter queue N. kube-netsim runs no such program, so the kernel's
 * answer for a queue nobody reads applies: the packet is dropped, or, with
 * `--queue-bypass`, accepted as if by ACCEPT (it leaves this table and goes
 * on to the next). `--fail-open` is the reader's socket option, not an
 * iptables one: iptables refuses it as an unknown option, and so do we.
 *
 * iptables-save prints `--queue-num N` (0 when none was given) or
 * `--queue-balance A:B`, then `--queue-bypass`, then `--queue-cpu-fanout`.
 */
import { RuleSyntaxError, findOption, refuseTogether, type TargetModule } from '../module';
import { parseUnsigned } from '../text/values';
import type { Target, TargetOutcome } from '../types';

export class NfqueueTarget implements Target {
  readonly name = 'NFQUEUE';
  private readonly outcome: TargetOutcome;

  constructor(
    readonly first: number,
    readonly last: number | undefined,
    readonly bypass: boolean,
    readonly cpuFanout: boolean,
  ) {
    const queue = last === undefined ? `queue ${first}` : `queues ${first}-${last}`;
    this.outcome = Object.freeze(
      bypass
        ? { kind: 'verdict', verdict: 'ACCEPT', note: `no program reads ${queue}: --queue-bypass accepts it (on to the next table)` }
        : { kind: 'verdict', verdict: 'DROP', note: `no program reads ${queue}: the kernel drops the packet (--queue-bypass would accept it)` },
    );
  }

  apply(): TargetOutcome {
    return this.outcome;
  }

  save(): string {
    let out = this.last === undefined ? `-j NFQUEUE --queue-num ${this.first}` : `-j NFQUEUE --queue-balance ${this.first}:${this.last}`;
    if (this.bypass) out += ' --queue-bypass';
    if (this.cpuFanout) out += ' --queue-cpu-fanout';
    return out;
  }
}

function queueNumber(text: string, option: string): number {
  const n = parseUnsigned(text, 0xffff);
  if (n === undefined) throw new RuleSyntaxError(`NFQUEUE: bad value for option "${option}", or out of range (0-65535)`);
  return n;
}

export const nfqueueTargetModule: TargetModule = {
  kind: 'target',
  name: 'NFQUEUE',
  options: [
    { name: 'queue-num', args: 1 },
    { name: 'queue-balance', args: 1 },
    { name: 'queue-bypass', args: 0 },
    { name: 'queue-cpu-fanout', args: 0 },
  ],
  build(options) {
    refuseTogether(options, 'NFQUEUE', ['queue-num', 'queue-balance']);
    const num = findOption(options, 'queue-num');
    const balance = findOption(options, 'queue-balance');
    const bypass = findOption(options, 'queue-bypass') !== undefined;
    const fanout = findOption(options, 'queue-cpu-fanout') !== undefined;
    if (fanout && !balance) throw new RuleSyntaxError('NFQUEUE: option "--queue-cpu-fanout" also requires "--queue-balance"');
    if (balance) {
      const text = balance.args[0];
      const colon = text.indexOf(':');
      if (colon < 0) throw new RuleSyntaxError(`NFQUEUE: bad range "${text}" for --queue-balance (expected FIRST:LAST)`);
      const first = queueNumber(text.slice(0, colon), balance.spelled);
      const last = queueNumber(text.slice(colon + 1), balance.spelled);
      if (first >= last) throw new RuleSyntaxError(`NFQUEUE: ${first} should be less than ${last}`);
      return new NfqueueTarget(first, last, bypass, fanout);
    }
    return new NfqueueTarget(num ? queueNumber(num.args[0], num.spelled) : 0, undefined, bypass, false);
  },
};
