/**
 * The kubelet's container restart back-off (docs/cluster.md, "Liveness and startup probes"): after
 * a container exits it is restarted at once the first time, then after 10 s, 20 s, 40 s, ... up
 * to 5 min. An entry untouched for twice the maximum (10 min) counts as expired, so a container
 * that ran fine that long starts again from 10 s. Same rules as client-go's flowcontrol.Backoff
 * without jitter, which is how the kubelet builds it; keyed by pod uid and container name.
 */
export const INITIAL_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 300_000;

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class RestartBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly initialMs = INITIAL_BACKOFF_MS,
    private readonly maxMs = MAX_BACKOFF_MS,
  ) {}

  /** The current back-off of the key (0 when it has none). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  private expired(entry: Entry, at: number): boolean {
    return at - entry.lastUpdate > 2 * this.maxMs;
  }

  /** Whether a container that exited at `finishedAt` must still wait at `now`. */
  inBackOffSince(key: string, finishedAt: number, now: number): boolean {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, now)) return false;
    return now - finishedAt < entry.backoffMs;
  }

  /** Records a restart at `now` of a container that exited at `finishedAt`: the next wait doubles (or starts again at 10 s). */
  next(key: string, finishedAt: number, now: number): void {
    const entry = this.entries.get(key);
    const backoffMs = !entry || this.expired(entry, finishedAt) ? this.initialMs : Math.min(entry.backoffMs * 2, this.maxMs);
    this.entries.set(key, { backoffMs, lastUpdate: now });
  }

  /** Sets the key's entry as a run of restarts left it (a crash loop taken at its word: see ./crash-loop.ts). */
  set(key: string, backoffMs: number, lastUpdate: number): void {
    this.entries.set(key, { backoffMs, lastUpdate });
  }

  forget(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}

/** A whole number of milliseconds as Go prints a time.Duration: `10s`, `1m20s`, `5m0s`, `1h0m0s`. */
export function goDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
