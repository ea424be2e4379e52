/**
 * What the API server's socket (kube-apiserver's mirror pod, on its node's
 * 6443, reached through the `kubernetes` Service) answers a request from a
 * pod. It speaks TLS only, and a pod's request carries no credentials here, so
 * it is served as kube-apiserver serves `system:anonymous` on a kind cluster
 * (anonymous auth on, RBAC's `system:public-info-viewer`): `/version`,
 * `/healthz`, `/livez` and `/readyz` answer; every other path is 403 with the
 * RBAC message. A plain-HTTP request gets Go's TLS server's 400.
 */
import { versionInfo } from '../cluster/version';
import type { PodEndpoint } from '../dataplane/network';

export const API_SERVER_COMPONENT = 'kube-apiserver';

/** The service account's CA bundle: `curl --cacert` with it verifies the API server's certificate. */
export const SERVICE_ACCOUNT_CA = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';

export interface HttpAnswer {
  status: number;
  body: string;
  headers: [string, string][];
}

/** Is this pod's port the API server's secure port (a `component: kube-apiserver` pod's `https` port)? */
export function isApiServerSocket(pod: PodEndpoint | undefined, port: number): boolean {
  if (pod?.object.metadata.labels?.component !== API_SERVER_COMPONENT) return false;
  return pod.ports.some((p) => p.name === 'https' && p.port === port && p.protocol === 'tcp');
}

/** Go's `http.Server` on a TLS listener, to a request in plain HTTP. */
export const PLAIN_HTTP_TO_TLS = 'Client sent an HTTP request to an HTTPS server.\n';

const PUBLIC_PATHS = new Set(['/version', '/version/', '/healthz', '/livez', '/readyz']);

const VERBS: Record<string, [single: string, collection: string]> = {
  GET: ['get', 'list'],
  HEAD: ['get', 'list'],
  POST: ['create', 'create'],
  PUT: ['update', 'update'],
  PATCH: ['patch', 'patch'],
  DELETE: ['delete', 'deletecollection'],
};

interface ResourceRequest {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
}

/** The API server's `RequestInfo` for a resource path, or undefined for a non-resource path. */
function resourceRequest(method: string, path: string, query: URLSearchParams): ResourceRequest | undefined {
  const parts = path.split('/').filter(Boolean);
  let rest: string[];
  let group: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  } else if (rest[0] === 'namespaces' && rest.length === 2) {
    namespace = rest[1];
  }
  const [resource, name, subresource] = rest;
  const verbs = VERBS[method] ?? [method.toLowerCase(), method.toLowerCase()];
  let verb = name ? verbs[0] : verbs[1];
  if (query.get('watch') === 'true' || query.get('watch') === '1') verb = 'watch';
  return { verb, group, resource: subresource ? `${resource}/${subresource}` : resource, namespace, name };
}

function forbidden(method: string, path: string, query: URLSearchParams): { message: string; details: Record<string, string> } {
  const user = 'User "system:anonymous"';
  const r = resourceRequest(method, path, query);
  if (!r) return { message: `forbidden: ${user} cannot ${(VERBS[method]?.[0] ?? method.toLowerCase())} path "${path}"`, details: {} };
  const scope = r.namespace === undefined ? 'at the cluster scope' : `in the namespace "${r.namespace}"`;
  // The group-qualified resource names the object (`deployments.apps "web"`), the reason the bare one.
  const qualified = `${r.resource.split('/')[0]}${r.group ? `.${r.group}` : ''}`;
  const what = r.name ? `${qualified} "${r.name}"` : qualified;
  const details: Record<string, string> = { ...(r.name ? { name: r.name } : {}), ...(r.group ? { group: r.group } : {}), kind: r.resource.split('/')[0] };
  return { message: `${what} is forbidden: ${user} cannot ${r.verb} resource "${r.resource}" in API group "${r.group}" ${scope}`, details };
}

/**
 * kube-apiserver pretty-prints JSON for curl and wget, as its `isPrettyPrint` does for their user
 * agents (indented, no newline after); otherwise one line ending in a newline, as Go's encoder.
 */
function json(value: unknown, userAgent: string): string {
  return /^(curl|wget)/i.test(userAgent) ? JSON.stringify(value, null, 2) : `${JSON.stringify(value)}\n`;
}

/** The API server's answer to an anonymous request over TLS. */
export function apiServerAnswer(request: { method: string; path: string; userAgent: string }, now: number): HttpAnswer {
  const url = new URL(request.path, 'https://kubernetes.default.svc');
  const path = url.pathname;
  const headers = (body: string, type: string): [string, string][] => [
    ['Cache-Control', 'no-cache, private'],
    ['Content-Type', type],
    ['X-Content-Type-Options', 'nosniff'],
    ['Date', new Date(now).toUTCString()],
    ['Content-Length', String(Buffer.byteLength(body))],
  ];
  if (PUBLIC_PATHS.has(path) && (request.method === 'GET' || request.method === 'HEAD')) {
    const body = path.startsWith('/version') ? JSON.stringify(versionInfo(), null, 2) : 'ok';
    return { status: 200, body, headers: headers(body, path.startsWith('/version') ? 'application/json' : 'text/plain; charset=utf-8') };
  }
  const { message, details } = forbidden(request.method, path, url.searchParams);
  const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details, code: 403 };
  const body = json(status, request.userAgent);
  return { status: 403, body, headers: headers(body, 'application/json') };
}
