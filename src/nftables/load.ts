/**
 * A ruleset from text a user gives: the `nft -f` transaction or the `nft
 * list ruleset` listing, loaded all or nothing, every rule checked to be one
 * the engine can follow. Problems are the user's (422), naming the field
 * and, for text problems, each line (`nftables:LINE`).
 */
import { DomainError } from '../common/domain-error';
import { isNftListText, parseNftList } from './list-parser';
import { emptyRuleset, type NftRuleset } from './model';
import { applyTransaction, NftTransactionError } from './transaction';
import { NftParseError, parseNftTransaction } from './transaction-parser';
import { NftHookSource } from './traversal';

export function loadNftText(text: string, field = 'nftables'): { ruleset: NftRuleset; hooks: NftHookSource } {
  const ruleset = emptyRuleset();
  try {
    applyTransaction(ruleset, isNftListText(text) ? parseNftList(text) : parseNftTransaction(text));
  } catch (e) {
    if (e instanceof NftParseError) {
      const causes = e.problems.map((p) => ({ field: `${field}:${p.line}`, reason: 'FieldValueInvalid', message: `${p.reason}: ${p.text}` }));
      const first = e.problems[0];
      const more = e.problems.length > 1 ? ` (and ${e.problems.length - 1} more)` : '';
      throw new DomainError('INVALID', `${field}: line ${first.line}: ${first.reason}: ${first.text}${more}`, { causes });
    }
    if (e instanceof NftTransactionError) {
      throw new DomainError('INVALID', `${field}: command ${e.index + 1} is refused as nft -f refuses it: ${e.message.replace('\n', ': ')}`, { field });
    }
    throw e;
  }
  const hooks = new NftHookSource(ruleset);
  hooks.compileAll();
  return { ruleset, hooks };
}
