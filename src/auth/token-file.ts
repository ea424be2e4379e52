/**
 * Start-up only: reads the `TOKEN_AUTH_FILE` named in the configuration.
 * One of the few files allowed to touch the host's file system (see the
 * ESLint rule in eslint.config.mjs and docs/security.md); no request reaches it.
 */

import { readFileSync } from 'node:fs';
import { TokenAuthenticator } from './token-authenticator';

/** Reads and parses a token file; throws the file system's error or a `TokenFileError`/`CsvParseError`. */
export function loadTokenAuthFile(path: string): TokenAuthenticator {
  return TokenAuthenticator.parse(readFileSync(path, 'utf8'), path);
}
