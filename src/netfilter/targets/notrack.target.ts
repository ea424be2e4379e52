/**
 * `-j NOTRACK` and `-j CT` (raw table).
 *
 * - `--notrack` (and NOTRACK): the packet is not tracked (conntrack state
 *   UNTRACKED, so no NAT). It is the only option that changes what
 *   kube-netsim traces, and the only CT form that does not enable conntrack
 *   in the namespace (see conntrack-users.ts).
 * - `--zone ID|mark`, `--zone-orig`, `--zone-reply`: the connection lives in
 *   that conntrack zone. kube-netsim keeps one connection table: a trace
 *   follows one connection, whose path a zone does not change; the step
 *   names the zone.
 * - `--helper NAME` (ftp, sip, ...): the helper that would watch the
 *   connection for related ones; payload is not simulated, so it opens none.
 * - `--ctevents`, `--expevents`: which conntrack events user space hears of.
 * - `--timeout NAME`: a timeout policy object (nfct); the connection's
 *   timeouts are not changed here.
 *
 * iptables-save prints `--notrack`, `--helper`, `--ctevents`, `--expevents`,
 * the zone, then `--timeout`, in that order; a zone of 0 is not printed, and
 * of several zone options the last gives the number while each adds its
 * direction.
 */
import { RuleSyntaxError, findOption, type ParsedOption, type TargetModule } from '../module';
import { detach, parseUnsigned } from '../text/values';
import type { Packet, Target, TargetOutcome } from '../types';

/** Conntrack event names in the kernel's bit order (IPCT_*), which is also the save order. */
const CT_EVENTS = ['new', 'related', 'destroy', 'reply', 'assured', 'protoinfo', 'helper', 'mark', 'natseqinfo', 'secmark'] as const;
const EXP_EVENTS = ['new'] as const;

export interface CtOptions {
  readonly notrack: boolean;
  readonly helper?: string;
  readonly ctevents?: readonly string[];
  readonly expevents?: readonly string[];
  /** Zone number (0: none), or 'mark' for the packet's mark. */
  readonly zone?: number | 'mark';
  readonly zoneDirection?: 'orig' | 'reply' | 'both';
  readonly timeout?: string;
}

export class NotrackTarget implements Target {
  readonly needsConntrack: boolean;
  private readonly note: string | undefined;

  constructor(
    readonly name: 'NOTRACK' | 'CT',
    readonly notrack: boolean,
    readonly options: CtOptions = { notrack },
  ) {
    this.needsConntrack = !notrack;
    this.note = notrack ? undefined : describe(options);
  }

  apply(packet: Packet): TargetOutcome {
    if (this.notrack) return { kind: 'continue', packet: { ...packet, ctstate: 'UNTRACKED' } };
    return { kind: 'continue', note: this.note };
  }

  save(): string {
    if (this.name === 'NOTRACK') return '-j NOTRACK';
    const o = this.options;
    let out = '-j CT';
    if (o.notrack) out += ' --notrack';
    if (o.helper !== undefined) out += ' --helper ' + o.helper;
    if (o.ctevents !== undefined && o.ctevents.length > 0) out += ' --ctevents ' + o.ctevents.join(',');
    if (o.expevents !== undefined && o.expevents.length > 0) out += ' --expevents ' + o.expevents.join(',');
    if (o.zone !== undefined && o.zone !== 0) {
      const suffix = o.zoneDirection === 'orig' ? '-orig' : o.zoneDirection === 'reply' ? '-reply' : '';
      out += ` --zone${suffix} ${o.zone}`;
    }
    if (o.timeout !== undefined) out += ' --timeout ' + o.timeout;
    return out;
  }
}

function describe(o: CtOptions): string | undefined {
  const parts: string[] = [];
  if (o.zone !== undefined && o.zone !== 0) {
    const which = o.zoneDirection === 'orig' ? ' (original direction)' : o.zoneDirection === 'reply' ? ' (reply direction)' : '';
    parts.push(`conntrack zone ${o.zone === 'mark' ? 'from the packet mark' : o.zone}${which} (one connection table is kept: a zone does not change the path)`);
  }
  if (o.helper !== undefined) parts.push(`helper ${o.helper} (payload is not simulated: it opens no related connection)`);
  if (o.ctevents !== undefined || o.expevents !== undefined) parts.push('conntrack events chosen (nothing traced reads them)');
  if (o.timeout !== undefined) parts.push(`timeout policy ${o.timeout} (timeouts not changed)`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function events(option: ParsedOption, names: readonly string[]): string[] {
  let mask = 0;
  for (const word of option.args[0].split(',')) {
    const bit = names.indexOf(word);
    if (bit < 0) throw new RuleSyntaxError(`CT: unknown event type "${word}"`);
    mask |= 1 << bit;
  }
  return names.filter((_, bit) => (mask & (1 << bit)) !== 0);
}

export const notrackTargetModule: TargetModule = {
  kind: 'target',
  name: 'NOTRACK',
  tables: ['raw'],
  options: [],
  build: () => new NotrackTarget('NOTRACK', true),
};

const ZONE_OPTIONS = new Set(['zone', 'zone-orig', 'zone-reply']);

export const ctTargetModule: TargetModule = {
  kind: 'target',
  name: 'CT',
  tables: ['raw'],
  options: [
    { name: 'notrack', args: 0 },
    { name: 'zone', args: 1 },
    { name: 'zone-orig', args: 1 },
    { name: 'zone-reply', args: 1 },
    { name: 'helper', args: 1 },
    { name: 'ctevents', args: 1 },
    { name: 'expevents', args: 1 },
    { name: 'timeout', args: 1 },
  ],
  build(options) {
    const notrack = findOption(options, 'notrack') !== undefined;
    let zone: number | 'mark' | undefined;
    let orig = false;
    let reply = false;
    for (const option of options) {
      if (!ZONE_OPTIONS.has(option.name)) continue;
      if (option.name === 'zone-orig') orig = true;
      if (option.name === 'zone-reply') reply = true;
      const text = option.args[0];
      if (text.toLowerCase() === 'mark') zone = 'mark';
      else {
        const id = parseUnsigned(text, 0xffff);
        if (id === undefined) throw new RuleSyntaxError(`CT: cannot parse "${text}" as a zone ID`);
        zone = id;
      }
    }
    const helper = findOption(options, 'helper');
    const ctevents = findOption(options, 'ctevents');
    const expevents = findOption(options, 'expevents');
    const timeout = findOption(options, 'timeout');
    if (helper && helper.args[0] === '') throw new RuleSyntaxError('CT: --helper must not be empty');
    if (timeout && timeout.args[0] === '') throw new RuleSyntaxError('CT: --timeout must not be empty');
    return new NotrackTarget('CT', notrack, {
      notrack,
      helper: helper && detach(helper.args[0]),
      ctevents: ctevents && events(ctevents, CT_EVENTS),
      expevents: expevents && events(expevents, EXP_EVENTS),
      zone,
      zoneDirection: orig && reply ? 'both' : orig ? 'orig' : reply ? 'reply' : undefined,
      timeout: timeout && detach(timeout.args[0]),
    });
  },
};
