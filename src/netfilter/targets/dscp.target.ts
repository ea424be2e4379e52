/**
 * `-j DSCP --set-dscp N | --set-dscp-class CLASS` (mangle table): the six
 * DSCP bits of the IP TOS byte (ECN bits kept). iptables-save prints both
 * forms as `--set-dscp 0xNN`. Nothing in routing reads the field; `-m dscp`
 * and `-m tos` do.
 */
import { RuleSyntaxError, refuseTogether, type TargetModule } from '../module';
import { parseUnsigned } from '../text/values';
import type { Packet, Target, TargetOutcome } from '../types';

/** DiffServ class names (RFC 2474, 2597, 3246), case-insensitive, and their DSCP values. */
export const DSCP_CLASSES: ReadonlyMap<string, number> = new Map([
  ['cs0', 0], ['cs1', 8], ['cs2', 16], ['cs3', 24], ['cs4', 32], ['cs5', 40], ['cs6', 48], ['cs7', 56],
  ['be', 0],
  ['af11', 10], ['af12', 12], ['af13', 14],
  ['af21', 18], ['af22', 20], ['af23', 22],
  ['af31', 26], ['af32', 28], ['af33', 30],
  ['af41', 34], ['af42', 36], ['af43', 38],
  ['ef', 46],
]);

export class DscpTarget implements Target {
  readonly name = 'DSCP';

  constructor(readonly dscp: number) {}

  apply(packet: Packet): TargetOutcome {
    const tos = (((packet.tos ?? 0) & 0x03) | (this.dscp << 2)) & 0xff;
    return { kind: 'continue', packet: { ...packet, tos }, note: `DSCP ${this.dscp}` };
  }

  save(): string {
    return '-j DSCP --set-dscp 0x' + this.dscp.toString(16).padStart(2, '0');
  }
}

export const dscpTargetModule: TargetModule = {
  kind: 'target',
  name: 'DSCP',
  tables: ['mangle'],
  options: [
    { name: 'set-dscp', args: 1 },
    { name: 'set-dscp-class', args: 1 },
  ],
  build(options) {
    refuseTogether(options, 'DSCP', ['set-dscp', 'set-dscp-class']);
    const option = options[0];
    if (!option) throw new RuleSyntaxError('DSCP target: Parameter --set-dscp is required');
    if (option.name === 'set-dscp-class') {
      const value = DSCP_CLASSES.get(option.args[0].toLowerCase());
      if (value === undefined) throw new RuleSyntaxError(`Invalid DSCP value \`${option.args[0]}'`);
      return new DscpTarget(value);
    }
    const value = parseUnsigned(option.args[0], 63);
    if (value === undefined) throw new RuleSyntaxError(`DSCP: bad value for option "${option.spelled}", or out of range (0-63)`);
    return new DscpTarget(value);
  },
};
