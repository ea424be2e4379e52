/**
 * `-m nfacct --nfacct-name NAME`: always matches, and counts the packet in
 * the named accounting object. (The real kernel refuses the rule unless the
 * object exists; the emulator does not check.) iptables 1.8.9 saves it with
 * two spaces before the name, and so do we.
 */
import { requireOption, type MatchModule } from '../module';
import { detach, saveString } from '../text/values';
import type { Match, MatchContext, Packet } from '../types';

export class NfacctMatch implements Match {
  readonly name = 'nfacct';
  readonly stateful = true;

  constructor(readonly accountName: string) {}

  matches(packet: Packet, ctx: MatchContext): boolean {
    ctx.accounting?.count(this.accountName, 1, packet.length ?? 0);
    return true;
  }

  save(): string {
    return '-m nfacct --nfacct-name  ' + saveString(this.accountName);
  }
}

export const nfacctMatchModule: MatchModule = {
  kind: 'match',
  name: 'nfacct',
  options: [{ name: 'nfacct-name', args: 1 }],
  build(options) {
    return new NfacctMatch(detach(requireOption(options, 'nfacct-name', 'nfacct').args[0]));
  },
};
