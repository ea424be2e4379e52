/**
 * `kubectl cluster-info dump` as an import input. kubectl (v1.32) writes, to
 * stdout, one JSON document per list, indented by four spaces and one after
 * the other with nothing between them: the NodeList, then per namespace its
 * EventList, ReplicationControllerList, ServiceList, DaemonSetList,
 * DeploymentList, ReplicaSetList and PodList, then each container's log
 * between two marker lines:
 *
 *     ==== START logs for container web of pod default/web-7b74c6d9d8-hq9qq ====
 *     ...the log, as the kubelet gave it (anything, a last line without newline included)...
 *     ==== END logs for container web of pod default/web-7b74c6d9d8-hq9qq ====
 *
 * Reading it: the logs are skipped (up to their own END marker, whatever they
 * hold), the events are ignored, every other list is opened into its items,
 * and each namespace the dump has objects in is given a Namespace object
 * (the dump has none), so that the import makes exactly what it makes of a
 * `kubectl get -A -o yaml` List of the same objects. The dump has no
 * EndpointSlices: the EndpointSlice controller makes them from the Services
 * and pods, as it does in the real cluster.
 */
import { DomainError } from '../../common/domain-error';
import { ManifestDocument, parseManifestJson } from '../apply/manifests';

const LOG_START = /^==== START logs for container (.*) of pod (.*) ====\n/;

export interface ClusterInfoDump {
  readonly documents: ManifestDocument[];
  /** What was left out: event objects and container log blocks. */
  readonly events: number;
  readonly logs: number;
}

/** Whether a text body is a cluster-info dump: a JSON document first, and more than one document or a log block. */
export function isClusterInfoDump(text: string): boolean {
  const start = text.search(/\S/);
  if (start < 0 || text[start] !== '{') return false;
  const end = jsonEnd(text, start);
  if (end === undefined) return false;
  const next = text.slice(end).search(/\S/);
  return next >= 0 && (text[end + next] === '{' || LOG_START.test(text.slice(end + next, end + next + 4096)));
}

function bad(message: string): DomainError {
  return new DomainError('BAD_REQUEST', `the body is not a kubectl cluster-info dump: ${message}`, { field: 'body' });
}

/** The line number (from 1) of a position, for messages. */
function lineOf(text: string, at: number): number {
  let line = 1;
  for (let i = 0; i < at; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The end (exclusive) of the JSON object starting at `start`, strings and escapes followed; undefined when it does not close. */
function jsonEnd(text: string, start: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: the next character is escaped
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

/** The objects of one list document: its items, each with its kind (kubectl writes it; else the list's, without `List`). */
function itemsOf(list: Record<string, unknown>, line: number): Record<string, unknown>[] {
  const kind = list.kind;
  if (typeof kind !== 'string' || !kind.endsWith('List') || !Array.isArray(list.items)) {
    throw bad(`the document at line ${line} is not a list (kind ${JSON.stringify(kind)}); kubectl writes only lists`);
  }
  const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
  return (list.items as unknown[]).map((item) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item as Record<string, unknown>;
    const o = item as Record<string, unknown>;
    return o.kind === undefined && itemKind !== undefined ? { apiVersion: list.apiVersion, kind: itemKind, ...o } : o;
  });
}

function isEvent(o: Record<string, unknown>): boolean {
  return o.kind === 'Event' && (o.apiVersion === 'v1' || o.apiVersion === 'events.k8s.io/v1');
}

/** Reads a cluster-info dump (see the file's comment); a text it cannot read is a 400 naming the line. */
export function parseClusterInfoDump(text: string): ClusterInfoDump {
  const objects: Record<string, unknown>[] = [];
  let events = 0;
  let logs = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\n' || c === '\r' || c === '\t') {
      i++;
      continue;
    }
    const rest = text.slice(i, i + 4096);
    const log = LOG_START.exec(rest);
    if (log) {
      const marker = `==== END logs for container ${log[1]} of pod ${log[2]} ====\n`;
      const end = text.indexOf(marker, i + log[0].length);
      // A dump cut short may lose its last END marker: the log runs to the end.
      i = end < 0 ? text.length : end + marker.length;
      logs++;
      continue;
    }
    if (c !== '{') throw bad(`line ${lineOf(text, i)} is neither a JSON document nor a "==== START logs for container" line`);
    const end = jsonEnd(text, i);
    if (end === undefined) throw bad(`the JSON document at line ${lineOf(text, i)} does not end`);
    let value: unknown;
    try {
      value = JSON.parse(text.slice(i, end));
    } catch (e) {
      throw bad(`the JSON document at line ${lineOf(text, i)}: ${(e as Error).message}`);
    }
    for (const item of itemsOf(value as Record<string, unknown>, lineOf(text, i))) {
      if (typeof item === 'object' && item !== null && isEvent(item)) events++;
      else objects.push(item);
    }
    i = end;
  }
  // Every namespace the dump has objects in, as a Namespace (existing ones are found, not made again).
  const namespaces = new Set<string>();
  for (const o of objects) {
    const ns = (o?.metadata as { namespace?: unknown } | undefined)?.namespace;
    if (typeof ns === 'string' && ns !== '') namespaces.add(ns);
  }
  const namespaceObjects = [...namespaces].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
  return { documents: parseManifestJson([...namespaceObjects, ...objects]), events, logs };
}
