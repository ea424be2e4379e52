/**
 * The kubelet's container restart back-off (docs/cluster.md, "Liveness and startup probes"): 10 s,
 * then doubled at each restart up to 5 min. Same rules as client-go's flowcontrol.Backoff without
 * jitter, which is how the kubelet builds it, keyed by pod uid and container name; the kubelet's
 * housekeeping (every 2 s) drops an entry not updated for twice the maximum (10 min), so an entry
 * that old counts as gone here. When a restart waits is the kubelet's doBackOff, in
 * ./container-restarts.ts.
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

  /** The key's entry at `now`: none once housekeeping would have dropped it (not updated for twice the maximum). */
  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    return entry && now - entry.lastUpdate <= 2 * this.maxMs ? entry : undefined;
  }

  /** Whether a container instance that exited at `finishedAt` keeps the next one waiting at `now`. */
  inBackOffSince(key: string, finishedAt: number, now: number): boolean {
    const entry = this.live(key, now);
    return !!entry && now - finishedAt < entry.backoffMs;
  }

  /** Records a restart at `now`: the back-off doubles (or starts at 10 s when the key has none). */
  next(key: string, now: number): void {
    const entry = this.live(key, now);
    this.entries.set(key, { backoffMs: entry ? Math.min(entry.backoffMs * 2, this.maxMs) : this.initialMs, lastUpdate: now });
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
