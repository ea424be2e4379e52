/** `-m comment --comment TEXT`: always matches. The kernel keeps 255 bytes of the text. */
import { requireOption, type MatchModule } from '../module';
import { detach, saveString, truncateBytes } from '../text/values';
import type { Match } from '../types';

export const MAX_COMMENT_BYTES = 255;

export class CommentMatch implements Match {
  readonly name = 'comment';

  constructor(readonly comment: string) {}

  matches(): boolean {
    return true;
  }

  save(): string {
    return '-m comment --comment ' + saveString(this.comment);
  }
}

export const commentMatchModule: MatchModule = {
  kind: 'match',
  name: 'comment',
  options: [{ name: 'comment', args: 1 }],
  build(options) {
    const text = requireOption(options, 'comment', 'comment').args[0];
    return new CommentMatch(detach(truncateBytes(text, MAX_COMMENT_BYTES)));
  },
};
