import { StoredEvent } from './types';

/** How much of the past the store keeps for watches from a `resourceVersion`. */
export interface HistoryLimits {
  /** At most this many events. */
  events: number;
  /** At most about this many bytes of the object versions they hold (estimated). */
  bytes: number;
}

/**
 * kube-apiserver's watch cache keeps its last events, dropping the oldest as
 * it fills. So does this: 10,000 events, and 128 MiB of the object versions
 * only these events still hold.
 */
export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { events: 10_000, bytes: 128 * 1024 * 1024 };

/**
 * The last events, bounded both in count and in bytes, oldest first. Each
 * event comes with the bytes keeping it costs; when either bound is passed
 * the oldest events go, so the memory held is flat however large the
 * objects written. Adding an event is O(1) amortised.
 */
export class WatchHistory {
  private events: StoredEvent[] = [];
  private sizes: number[] = [];
  private start = 0;
  private bytes = 0;

  constructor(readonly limits: HistoryLimits = DEFAULT_HISTORY_LIMITS) {
    if (!(limits.events >= 1) || !(limits.bytes >= 0)) throw new RangeError('a watch history keeps at least one event');
  }

  push(event: StoredEvent, bytes: number): void {
    this.events.push(event);
    this.sizes.push(bytes);
    this.bytes += bytes;
    // The newest event is always kept, however large, so a watcher that is up to date loses nothing.
    while (this.length > 1 && (this.length > this.limits.events || this.bytes > this.limits.bytes)) {
      this.bytes -= this.sizes[this.start];
      this.start++;
    }
    if (this.start > 1024 && this.start * 2 > this.events.length) {
      this.events = this.events.slice(this.start);
      this.sizes = this.sizes.slice(this.start);
      this.start = 0;
    }
  }

  get length(): number {
    return this.events.length - this.start;
  }

  /** The estimated bytes held. */
  get size(): number {
    return this.bytes;
  }

  /** The resourceVersion of the oldest event kept, if any. */
  oldestVersion(): number | undefined {
    return this.length ? this.events[this.start].resourceVersion : undefined;
  }

  /** The events after `version`, oldest first. */
  *since(version: number): Iterable<StoredEvent> {
    for (let i = this.start; i < this.events.length; i++) {
      if (this.events[i].resourceVersion > version) yield this.events[i];
    }
  }
}
