/**
 * Start-up only: reads the files the configuration names (TOKEN_AUTH_FILE,
 * TLS_CERT_FILE, TLS_PRIVATE_KEY_FILE). One of the few modules allowed to
 * touch the host's file system (see the ESLint rule in eslint.config.mjs and
 * docs/security.md); no request reaches it.
 */

import { readFileSync } from 'node:fs';
import { TokenAuthenticator } from './token-authenticator';

/** Reads and parses a token file; throws the file system's error or a `TokenFileError`/`CsvParseError`. */
export function loadTokenAuthFile(path: string): TokenAuthenticator {
  return TokenAuthenticator.parse(readFileSync(path, 'utf8'), path);
}

/** Reads a PEM file (a certificate or a key); throws the file system's error. */
export function readPemFile(path: string): string {
  return readFileSync(path, 'utf8');
}
