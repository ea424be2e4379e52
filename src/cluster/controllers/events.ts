import { DomainError } from '../../common/domain-error';
import { SimulationClock, Timer } from '../simulation-clock';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, StoredEvent } from '../store/types';
import { Controller } from './controller-manager';

/** kube-apiserver's `--event-ttl` default: an Event goes one hour after it was last written. */
export const EVENT_TTL_MS = 3_600_000;

const events = resourceTypeByKey('events')!;
/** A DNS-1123 subdomain's length limit, which an Event's name must meet. */
const MAX_EVENT_NAME_LENGTH = 253;
const namespaces = resourceTypeByKey('namespaces')!;

/**
 * Records a core/v1 Event about `object`, as components do through the
 * event recorder; a repeat of the same reason and message on the same object
 * bumps `count` and `lastTimestamp` instead of adding an event. Events about
 * cluster-scoped objects go to `default`. `times` records that many
 * occurrences in one write (the kubelet's failing probe runs before a kill), the
 * last of them `at` (default now). An Event the API refuses (its name, made
 * from a 253-character pod name, too long) is dropped, as upstream's recorder
 * drops an event the server rejects ("will not retry"): recording an event
 * never fails the component that records it.
 */
/** The name of the Event recordEvent keeps for `object` and `reason` (one per pair: repeats count up). */
export function eventName(object: KubeObject, reason: string): string {
  return `${object.metadata.name}.${reason.toLowerCase()}.${object.metadata.uid.slice(0, 8)}`;
}

export function recordEvent(
  store: ObjectStore,
  object: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  source: { component: string; host?: string },
  times = 1,
  at?: string,
): void {
  const namespace = object.metadata.namespace ?? 'default';
  if (!store.tryGet(namespaces, undefined, namespace)) return;
  const now = at ?? store.now();
  const involvedObject = {
    kind: object.kind,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    name: object.metadata.name,
    uid: object.metadata.uid,
    apiVersion: object.apiVersion,
  };
  const name = eventName(object, reason);
  const existing = store.tryGet(events, namespace, name);
  if (existing && existing.message === message) {
    store.update(events, namespace, name, { ...existing, count: ((existing.count as number) ?? 1) + times, lastTimestamp: now }, { owned: true });
    return;
  }
  if (name.length > MAX_EVENT_NAME_LENGTH) return; // refused by the API server's name check: dropped (see above)
  const body = {
    metadata: { name },
    involvedObject,
    reason,
    message,
    type,
    source,
    firstTimestamp: existing ? existing.firstTimestamp : now,
    lastTimestamp: now,
    count: existing ? ((existing.count as number) ?? 1) + times : times,
    reportingComponent: source.component,
  };
  try {
    if (existing) store.update(events, namespace, name, body, { owned: true });
    else store.create(events, body, namespace, { owned: true });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
  }
}

/**
 * The API server stores Events with a time to live (`--event-ttl`, 1 h): each
 * create or update starts it again, and when it runs out the Event is
 * deleted (watchers see DELETED). Writes come in time order, so expiries are
 * a queue; one timer waits for the first, and the work follows the events.
 */
export class EventTtlController implements Controller {
  readonly name = 'event-ttl';
  /** `namespace/name` -> when it expires, for the latest write of each Event. */
  private readonly expiries = new Map<string, number>();
  private readonly queue: Array<{ key: string; at: number }> = [];
  private head = 0;
  private timer: Timer | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: SimulationClock,
    private readonly ttlMs = EVENT_TTL_MS,
  ) {}

  observe(event: StoredEvent): void {
    if (event.resource !== 'events') return;
    const key = `${event.object.metadata.namespace}/${event.object.metadata.name}`;
    if (event.type === 'DELETED') {
      this.expiries.delete(key);
      return;
    }
    const at = this.clock.now() + this.ttlMs;
    this.expiries.set(key, at);
    this.queue.push({ key, at });
    this.arm();
  }

  reconcile(): boolean {
    return false;
  }

  private arm(): void {
    if (this.timer) return;
    // Entries an Event's later write made stale need no timer of their own (a crash loop rewrites the same few Events).
    while (this.head < this.queue.length && this.expiries.get(this.queue[this.head].key) !== this.queue[this.head].at) this.head++;
    if (this.head >= this.queue.length) return;
    const at = this.queue[this.head].at;
    this.timer = this.clock.after(at - this.clock.now(), 'event-ttl: delete expired events', () => {
      this.timer = undefined;
      this.expire();
      this.arm();
    });
  }

  private expire(): void {
    const now = this.clock.now();
    const due: string[] = [];
    while (this.head < this.queue.length && this.queue[this.head].at <= now) {
      const { key, at } = this.queue[this.head++];
      // Only the latest write of an Event counts; earlier queue entries for it are stale.
      if (this.expiries.get(key) === at) due.push(key);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (!due.length) return;
    this.store.transaction(() => {
      for (const key of due) {
        const [namespace, name] = key.split('/');
        this.expiries.delete(key);
        if (this.store.tryGet(events, namespace, name)) this.store.delete(events, namespace, name, { gracePeriodSeconds: 0 });
      }
    });
  }
}
