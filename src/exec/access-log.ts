/**
 * What each pod's simulated HTTP server received, as an access log in
 * nginx's `combined` format on the simulated clock:
 *
 *   10.244.1.3 - - [01/Jan/2026:00:00:05 +0000] "GET / HTTP/1.1" 200 11 "-" "curl/8.11.1"
 *
 * `kubectl logs` reads it (pods/log), `-f` follows it. Kept per pod (by
 * uid, so a new pod of the same name starts afresh), the last
 * MAX_LINES lines each.
 */
export interface AccessLogEntry {
  /** Simulated time, ms since the epoch. */
  time: number;
  /** The container whose port answered. */
  container: string;
  line: string;
}

export interface AccessRecord {
  time: number;
  container: string;
  client: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  userAgent: string;
}

const MAX_LINES = 10_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** nginx's `$time_local` in UTC: `01/Jan/2026:00:00:05 +0000`. */
export function nginxTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

export function combinedLogLine(r: AccessRecord): string {
  return `${r.client} - - [${nginxTime(r.time)}] "${r.method} ${r.path} HTTP/1.1" ${r.status} ${r.bytes} "-" "${r.userAgent}"`;
}

type Listener = (entry: AccessLogEntry) => void;

export class AccessLogs {
  private readonly logs = new Map<string, AccessLogEntry[]>();
  private readonly listeners = new Map<string, Set<Listener>>();

  record(podUid: string, record: AccessRecord): void {
    this.append(podUid, { time: record.time, container: record.container, line: combinedLogLine(record) });
  }

  /** A container's own output (what an attached command printed), line by line. */
  write(podUid: string, container: string, time: number, text: string): void {
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    for (const line of lines) this.append(podUid, { time, container, line });
  }

  private append(podUid: string, entry: AccessLogEntry): void {
    let log = this.logs.get(podUid);
    if (!log) this.logs.set(podUid, (log = []));
    log.push(entry);
    if (log.length > MAX_LINES) log.splice(0, log.length - MAX_LINES);
    for (const l of this.listeners.get(podUid) ?? []) l(entry);
  }

  /** The pod's lines so far (a container's, when given). */
  read(podUid: string, container?: string): AccessLogEntry[] {
    return (this.logs.get(podUid) ?? []).filter((e) => container === undefined || e.container === container);
  }

  /** Forgets a pod's log (the pod is gone). */
  drop(podUid: string): void {
    this.logs.delete(podUid);
  }

  /** Calls `listener` with each new line; answers a function that stops. */
  follow(podUid: string, listener: Listener): () => void {
    let set = this.listeners.get(podUid);
    if (!set) this.listeners.set(podUid, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(podUid);
    };
  }
}
