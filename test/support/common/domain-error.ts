/**
 * For specs: the `DomainError` a call refuses with. Any other error is
 * thrown on; a call that does not throw fails the spec.
 */
import { DomainError } from '../../../src/common/domain-error';

export function refusalOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}
