/**
 * Static bearer tokens, as kube-apiserver's `--token-auth-file` takes them:
 * a CSV file of `token,user,uid[,"group1,group2"]` records. Framework-free:
 * the HTTP shell (src/api/authentication.ts) asks `authenticateRequest` about
 * every request before its body is read.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { parseCsv } from './csv';

/** Who a token belongs to (upstream's `user.DefaultInfo`). */
export interface TokenUser {
  readonly name: string;
  readonly uid: string;
  readonly groups: readonly string[];
}

/** A token file that cannot be used; the message is upstream's. */
export class TokenFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenFileError';
  }
}

interface Entry {
  readonly digest: Buffer;
  readonly user: TokenUser;
}

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * The paths that answer without credentials when tokens are required: the
 * health checks, as kube-apiserver's anonymous authenticator restricted to them
 * (AuthenticationConfiguration `anonymous.conditions`, KEP-4633) lets through.
 * Exact paths, as upstream's conditions match them.
 */
export const ANONYMOUS_PATHS: ReadonlySet<string> = new Set(['/healthz', '/livez', '/readyz']);

export type AuthenticationResult =
  | { readonly authenticated: true; readonly user: TokenUser }
  | { readonly authenticated: true; readonly anonymous: true }
  | { readonly authenticated: false; readonly reason: 'no credentials' | 'invalid bearer token' };

/**
 * The bearer token of an `Authorization` header, as upstream's bearer token
 * authenticator reads it: trimmed, split on single spaces into at most three
 * parts, scheme `bearer` in any letter case, the second part the token. No
 * token (no header, another scheme, an empty token): `undefined`.
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  const auth = (authorization ?? '').trim();
  if (auth === '') return undefined;
  const first = auth.indexOf(' ');
  if (first < 0 || auth.slice(0, first).toLowerCase() !== 'bearer') return undefined;
  const rest = auth.slice(first + 1);
  const second = rest.indexOf(' ');
  const token = second < 0 ? rest : rest.slice(0, second);
  return token === '' ? undefined : token;
}

export class TokenAuthenticator {
  private constructor(
    private readonly entries: readonly Entry[],
    /** The first token of the file, for the kubeconfig written at start-up. */
    readonly firstToken: string | undefined,
    /** Upstream's warnings while reading the file (empty and duplicate tokens). */
    readonly warnings: readonly string[],
  ) {}

  /**
   * Reads a token file's text (`path` only names it in messages). Rules as
   * upstream's: a record with fewer than 3 columns stops it; a record with an
   * empty token is skipped with a warning; a duplicate token is a warning and
   * the later record wins; a 4th column is the groups, split on commas.
   */
  static parse(text: string, path: string): TokenAuthenticator {
    const entries: Entry[] = [];
    const warnings: string[] = [];
    const seen = new Set<string>();
    let firstToken: string | undefined;
    let recordNum = 0;
    for (const { fields } of parseCsv(text)) {
      if (fields.length < 3) {
        throw new TokenFileError(`token file '${path}' must have at least 3 columns (token, user name, user uid), found ${fields.length}`);
      }
      recordNum++;
      const [token, name, uid, groups] = fields;
      if (token === '') {
        warnings.push(`empty token has been found in token file '${path}', record number '${recordNum}'`);
        continue;
      }
      if (seen.has(token)) warnings.push(`duplicate token has been found in token file '${path}', record number '${recordNum}'`);
      seen.add(token);
      firstToken ??= token;
      entries.push({ digest: digestOf(token), user: { name, uid, groups: groups === undefined ? [] : groups.split(',') } });
    }
    return new TokenAuthenticator(entries, firstToken, warnings);
  }

  /** How many records carry a token. */
  get size(): number {
    return this.entries.length;
  }

  /**
   * The user of a token, or `undefined`. Constant time in the token's value:
   * digests of equal length, compared with `timingSafeEqual`, every entry
   * visited whatever matched; the last matching record wins, as upstream's map.
   */
  authenticateToken(token: string): TokenUser | undefined {
    const digest = digestOf(token);
    let user: TokenUser | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest)) user = entry.user;
    }
    return user;
  }

  /**
   * Decides a request from its `Authorization` header and path (no query):
   * a bearer token must be valid, wherever it is sent; with no bearer token,
   * only the health checks answer.
   */
  authenticateRequest(authorization: string | undefined, path: string): AuthenticationResult {
    const token = bearerToken(authorization);
    if (token === undefined) {
      return ANONYMOUS_PATHS.has(path) ? { authenticated: true, anonymous: true } : { authenticated: false, reason: 'no credentials' };
    }
    const user = this.authenticateToken(token);
    return user ? { authenticated: true, user } : { authenticated: false, reason: 'invalid bearer token' };
  }
}
