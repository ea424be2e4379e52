import { DomainError } from '../../common/domain-error';
import { resourceTypeOfPath, ResourceType } from '../../cluster/store/resource-types';

/** What a Kubernetes resource path names. */
export interface ResourceTarget {
  type: ResourceType;
  /** The namespace in the path, if any. */
  namespace?: string;
  name?: string;
  subresource?: 'status' | 'scale' | 'eviction';
}

/**
 * A path under a served group-version that names nothing. The API server's answer (go-restful's
 * 404) has empty `details`, which kubectl reads: `kubectl debug` takes a 404 with no name on
 * `pods/NAME/ephemeralcontainers` to mean that ephemeral containers are disabled, and says so.
 */
function notFoundPath(path: string): DomainError {
  const hint = path.endsWith('/ephemeralcontainers') ? ': kube-netsim runs no ephemeral containers; `kubectl exec POD -- sh` has curl, nslookup, nc and ip' : '';
  return new DomainError('NOT_FOUND', `the server could not find the requested resource (${path})${hint}`, { emptyDetails: true });
}

/**
 * Reads the segments after `/api/v1` or `/apis/{group}/{version}`:
 * `pods`, `nodes/n1`, `namespaces/default`, `namespaces/default/pods/web-1/status`.
 */
export function parseResourcePath(group: string, version: string, segments: string[]): ResourceTarget {
  const path = `/${group ? `apis/${group}` : 'api'}/${version}/${segments.join('/')}`;
  const resolve = (plural: string) => {
    const type = resourceTypeOfPath(group, version, plural);
    if (!type) throw notFoundPath(path);
    return type;
  };
  const sub = (text: string | undefined): ResourceTarget['subresource'] => {
    if (text === undefined) return undefined;
    if (text === 'status' || text === 'scale') return text;
    throw notFoundPath(path);
  };
  const s = segments.filter((x) => x !== '');
  if (s.length === 0) throw notFoundPath(path);
  // namespaces/{ns}/{resource}[/{name}[/{sub}]] for namespaced resources
  if (s[0] === 'namespaces' && s.length >= 3 && !(s.length === 3 && (s[2] === 'status' || s[2] === 'finalize'))) {
    const type = resolve(s[2]);
    if (!type.namespaced) throw notFoundPath(path);
    if (s.length > 5) throw notFoundPath(path);
    // Pods also have `eviction` (policy/v1 Eviction, what `kubectl drain` posts).
    if (s[4] === 'eviction' && type.plural === 'pods' && type.group === '' && s[3] !== undefined) return { type, namespace: s[1], name: s[3], subresource: 'eviction' };
    return { type, namespace: s[1], name: s[3], subresource: sub(s[4]) };
  }
  const type = resolve(s[0]);
  if (s.length > 3) throw notFoundPath(path);
  if (s.length > 1 && type.namespaced) throw notFoundPath(path); // a namespaced object needs its namespace
  return { type, name: s[1], subresource: s[2] === 'finalize' ? undefined : sub(s[2]) };
}
