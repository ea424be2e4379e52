/**
 * Targets that change nothing the packet model holds and let the packet go
 * on to the next rule; each says in its trace step what the kernel did:
 *
 * - `-j CHECKSUM --checksum-fill` (mangle): fills in a UDP/TCP checksum left
 *   to the NIC. Checksums are not simulated.
 * - `-j NFLOG [--nflog-group N] [--nflog-prefix P] [--nflog-size N]
 *   [--nflog-threshold N]`: a copy to the nfnetlink_log group, like LOG to
 *   syslog. `--nflog-range` is accepted and dropped, as iptables does ("has
 *   never worked"); it cannot go with `--nflog-size`.
 * - `-j TRACE`: the kernel reports the packet's path through every later rule
 *   (`xtables-monitor --trace`); a kube-netsim trace is that report.
 *   iptables-nft makes it `meta nftrace`, so it loads in any table.
 * - `-j AUDIT --type accept|drop|reject`: an audit record.
 * - `-j CLASSIFY --set-class MAJOR:MINOR` (mangle; OUTPUT, FORWARD,
 *   POSTROUTING): the traffic-control class (skb->priority); qdiscs are not
 *   simulated.
 */
import { RuleSyntaxError, findOption, requireOption, type TargetModule } from '../module';
import { detach, parseUnsigned, saveString } from '../text/values';
import type { Target, TargetOutcome } from '../types';

/** A target whose only effect, for kube-netsim, is a note in the trace. */
export class AnnotatingTarget implements Target {
  private readonly outcome: TargetOutcome;

  constructor(
    readonly name: string,
    private readonly text: string,
    note: string,
    readonly hooks?: readonly ('FORWARD' | 'OUTPUT' | 'POSTROUTING')[],
  ) {
    this.outcome = Object.freeze({ kind: 'continue', note });
  }

  apply(): TargetOutcome {
    return this.outcome;
  }

  save(): string {
    return this.text;
  }
}

export const checksumTargetModule: TargetModule = {
  kind: 'target',
  name: 'CHECKSUM',
  tables: ['mangle'],
  options: [{ name: 'checksum-fill', args: 0 }],
  build(options) {
    requireOption(options, 'checksum-fill', 'CHECKSUM');
    return new AnnotatingTarget('CHECKSUM', '-j CHECKSUM --checksum-fill', 'checksum filled in (checksums are not simulated), continue');
  },
};

function u16(text: string, option: string, max = 0xffff): number {
  const n = parseUnsigned(text, max);
  if (n === undefined) throw new RuleSyntaxError(`NFLOG: bad value for option "${option}", or out of range (0-${max})`);
  return n;
}

export const nflogTargetModule: TargetModule = {
  kind: 'target',
  name: 'NFLOG',
  options: [
    { name: 'nflog-group', args: 1 },
    { name: 'nflog-prefix', args: 1 },
    { name: 'nflog-range', args: 1 },
    { name: 'nflog-size', args: 1 },
    { name: 'nflog-threshold', args: 1 },
  ],
  build(options) {
    const group = findOption(options, 'nflog-group');
    const prefix = findOption(options, 'nflog-prefix');
    const range = findOption(options, 'nflog-range');
    const size = findOption(options, 'nflog-size');
    const threshold = findOption(options, 'nflog-threshold');
    if (range && size) throw new RuleSyntaxError('NFLOG: option "--nflog-range" cannot be used together with "--nflog-size"');
    if (range) u16(range.args[0], range.spelled, 0xffffffff);
    if (prefix && prefix.args[0] === '') throw new RuleSyntaxError('NFLOG: --nflog-prefix must have a minimum length of 1 characters');
    const groupNumber = group ? u16(group.args[0], group.spelled) : 0;
    const sizeNumber = size ? u16(size.args[0], size.spelled, 0xffffffff) : undefined;
    const thresholdNumber = threshold ? u16(threshold.args[0], threshold.spelled) : 0;
    const prefixText = prefix && detach(prefix.args[0]);
    let text = '-j NFLOG';
    if (prefixText !== undefined) text += ' --nflog-prefix ' + saveString(prefixText);
    if (groupNumber !== 0) text += ` --nflog-group ${groupNumber}`;
    if (sizeNumber !== undefined) text += ` --nflog-size ${sizeNumber}`;
    if (thresholdNumber !== 0) text += ` --nflog-threshold ${thresholdNumber}`;
    const note = `logged to nflog group ${groupNumber}${prefixText !== undefined ? ` (prefix "${prefixText}")` : ''}, continue`;
    return new AnnotatingTarget('NFLOG', text, note);
  },
};

export const traceTargetModule: TargetModule = {
  kind: 'target',
  name: 'TRACE',
  options: [],
  build: () => new AnnotatingTarget('TRACE', '-j TRACE', 'the kernel traces this packet from here on (xtables-monitor --trace); continue'),
};

const AUDIT_TYPES = ['accept', 'drop', 'reject'] as const;

export const auditTargetModule: TargetModule = {
  kind: 'target',
  name: 'AUDIT',
  options: [{ name: 'type', args: 1 }],
  build(options) {
    const given = requireOption(options, 'type', 'AUDIT').args[0];
    const type = AUDIT_TYPES.find((t) => t === given.toLowerCase());
    if (type === undefined) throw new RuleSyntaxError(`AUDIT: bad value for option "--type", must be one of: accept, drop, reject (got "${given}")`);
    return new AnnotatingTarget('AUDIT', `-j AUDIT --type ${type}`, `audit record (type ${type}), continue`);
  },
};

export const classifyTargetModule: TargetModule = {
  kind: 'target',
  name: 'CLASSIFY',
  tables: ['mangle'],
  hooks: ['FORWARD', 'OUTPUT', 'POSTROUTING'],
  options: [{ name: 'set-class', args: 1 }],
  build(options) {
    const text = requireOption(options, 'set-class', 'CLASSIFY').args[0];
    const match = /^([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})$/.exec(text);
    if (!match) throw new RuleSyntaxError(`CLASSIFY: bad class value "${text}"`);
    const major = parseInt(match[1], 16).toString(16).padStart(4, '0');
    const minor = parseInt(match[2], 16).toString(16).padStart(4, '0');
    return new AnnotatingTarget(
      'CLASSIFY',
      `-j CLASSIFY --set-class ${major}:${minor}`,
      `traffic-control class ${major}:${minor} (queueing is not simulated), continue`,
      ['FORWARD', 'OUTPUT', 'POSTROUTING'],
    );
  },
};

/**
 * `-j ULOG`: removed from Linux in 3.17 (use NFLOG). iptables 1.8.9 still
 * parses it, warns "Extension ULOG revision 0 not supported, missing kernel
 * module?" and the kernel then refuses the rule; so do we.
 */
export const ulogTargetModule: TargetModule = {
  kind: 'target',
  name: 'ULOG',
  options: [
    { name: 'ulog-nlgroup', args: 1 },
    { name: 'ulog-prefix', args: 1 },
    { name: 'ulog-cprange', args: 1 },
    { name: 'ulog-qthreshold', args: 1 },
  ],
  build() {
    throw new RuleSyntaxError(
      'ULOG: Linux has no ULOG target since 3.17 (iptables-restore fails with "RULE_APPEND failed (No such file or directory)"); use -j NFLOG',
    );
  },
};
