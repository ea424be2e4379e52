/**
 * `-j CONNMARK`: the connection mark. `--set-xmark` and its friends as for
 * MARK (on the connection mark); `--save-mark` copies the packet mark to the
 * connection (`ctmark = (ctmark & ~ctmask) ^ (mark & nfmask)`),
 * `--restore-mark` back (`mark = (mark & ~nfmask) ^ (ctmark & ctmask)`);
 * `--mask M` sets both masks.
 */
import { RuleSyntaxError, findOption, refuseTogether, type TargetModule } from '../module';
import { hex, parseU32 } from '../text/values';
import type { Packet, Target, TargetOutcome } from '../types';
import { MARK_OPTIONS, applyXmark, xmarkOf } from './mark.target';

export type ConnmarkOperation =
  | { readonly kind: 'set'; readonly value: number; readonly mask: number }
  | { readonly kind: 'save' | 'restore'; readonly nfmask: number; readonly ctmask: number };

export class ConnmarkTarget implements Target {
  readonly name = 'CONNMARK';

  constructor(readonly operation: ConnmarkOperation) {}

  apply(packet: Packet): TargetOutcome {
    const op = this.operation;
    const ctmark = packet.ctmark ?? 0;
    if (op.kind === 'set') return { kind: 'continue', packet: { ...packet, ctmark: applyXmark(ctmark, op.value, op.mask) } };
    if (op.kind === 'save') {
      const next = ((ctmark & ~op.ctmask) ^ (packet.mark & op.nfmask)) >>> 0;
      return { kind: 'continue', packet: { ...packet, ctmark: next } };
    }
    const mark = ((packet.mark & ~op.nfmask) ^ (ctmark & op.ctmask)) >>> 0;
    return { kind: 'continue', packet: { ...packet, mark } };
  }

  save(): string {
    const op = this.operation;
    if (op.kind === 'set') return `-j CONNMARK --set-xmark ${hex(op.value)}/${hex(op.mask)}`;
    return `-j CONNMARK --${op.kind}-mark --nfmask ${hex(op.nfmask)} --ctmask ${hex(op.ctmask)}`;
  }
}

const SET_NAMES = MARK_OPTIONS.map((o) => o.name);

export const connmarkTargetModule: TargetModule = {
  kind: 'target',
  name: 'CONNMARK',
  options: [
    ...MARK_OPTIONS,
    { name: 'save-mark', args: 0 },
    { name: 'restore-mark', args: 0 },
    { name: 'mask', args: 1 },
    { name: 'nfmask', args: 1 },
    { name: 'ctmask', args: 1 },
  ],
  build(options) {
    refuseTogether(options, 'CONNMARK', [...SET_NAMES, 'save-mark', 'restore-mark']);
    const set = options.find((o) => (SET_NAMES as readonly string[]).includes(o.name));
    const copy = findOption(options, 'save-mark') ?? findOption(options, 'restore-mark');
    const mask = findOption(options, 'mask');
    const nfmask = findOption(options, 'nfmask');
    const ctmask = findOption(options, 'ctmask');
    if (set) {
      if (mask || nfmask || ctmask) throw new RuleSyntaxError('CONNMARK: masks only go with --save-mark or --restore-mark');
      return new ConnmarkTarget({ kind: 'set', ...xmarkOf(set) });
    }
    if (!copy) throw new RuleSyntaxError('CONNMARK: one of --set-xmark, --save-mark or --restore-mark is required');
    const both = mask ? parseU32(mask.args[0], mask.spelled) : 0xffffffff;
    return new ConnmarkTarget({
      kind: copy.name === 'save-mark' ? 'save' : 'restore',
      nfmask: nfmask ? parseU32(nfmask.args[0], nfmask.spelled) : both,
      ctmask: ctmask ? parseU32(ctmask.args[0], ctmask.spelled) : both,
    });
  },
};
