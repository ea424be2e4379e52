/**
 * The limits of the HTTP edge, in one place (documented in docs/api.md, "Limits").
 */

/** kube-apiserver's limit on a request body (`MaxRequestBodyBytes`, 3 MiB). */
export const BODY_LIMIT = 3 * 1024 * 1024;

/**
 * kube-netsim's own endpoints that take whole iptables-save dumps or rule
 * sets: a 10,000-Service dump is about 31 MiB (docs/kube-proxy.md).
 */
export const DUMP_BODY_LIMIT = 64 * 1024 * 1024;
export const DUMP_ROUTES: ReadonlySet<string> = new Set([
  '/netsim/v1/trace',
  '/netsim/v1/iptables/save',
  '/netsim/v1/ipset/save',
  '/netsim/v1/kube-proxy/render',
  '/netsim/v1/import',
  '/netsim/v1/snapshot',
  '/netsim/v1/nodes/:node/iptables',
]);

/**
 * Mapping keys in a `POST /netsim/v1/import` body (elsewhere 250,000): an export of
 * 10,000 pods is about 1.5 million keys.
 */
export const IMPORT_YAML_KEYS = 4_000_000;

export { MAX_NESTING_DEPTH } from '../common/limits';

/** Time allowed to receive a whole request, headers and body (the API server's default `--request-timeout`). */
export const REQUEST_TIMEOUT_MS = 60_000;

/** Time allowed to receive the headers. */
export const HEADERS_TIMEOUT_MS = 30_000;

/** The longest path parameter: a DNS subdomain name (node names, for example) is up to 253 characters. */
export const MAX_PARAM_LENGTH = 253;
