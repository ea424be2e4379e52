/**
 * `-m helper [!] --helper NAME`: the packet's connection is expected by a
 * connection-tracking helper of that name (ftp, sip, ...), as xt_helper asks
 * it. kube-netsim simulates no helpers, so no connection is ever expected:
 * the match fails, and `! --helper NAME` holds, for every packet.
 */
import { requireOption, type MatchModule } from '../module';
import { saveString } from '../text/values';
import type { Match } from '../types';

export class HelperMatch implements Match {
  readonly name = 'helper';

  constructor(
    readonly helper: string,
    readonly invert: boolean,
  ) {}

  /** No connection has a master with a helper. */
  matches(): boolean {
    return this.invert;
  }

  save(): string {
    return `-m helper${this.invert ? ' !' : ''} --helper ${saveString(this.helper)}`;
  }
}

export const helperMatchModule: MatchModule = {
  kind: 'match',
  name: 'helper',
  options: [{ name: 'helper', args: 1, invertible: true }],
  build(options) {
    const option = requireOption(options, 'helper', 'helper');
    return new HelperMatch(option.args[0].slice(0, 29), option.inverted);
  },
};
