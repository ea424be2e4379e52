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

/** The kubelet's `involvedObject.fieldPath` for an event about one container of a pod. */
export const fieldPathOf = (c: { name: string }) => `spec.containers{${c.name}}`;

/**
 * Records a core/v1 Event about `object`, as components do through the
 * event recorder; a repeat of the same reason and message on the same object
 * bumps `count` and `lastTimestamp` instead of adding an event. As client-go's
 * event correlator, an Event is keyed on its involved object (with `fieldPath`,
 * the kubelet's `spec.containers{NAME}`), reason and message: a different
 * message is a different Event, until the 10th different message for the same object and
 * reason within 10 minutes: from there on they share one Event, `(combined from similar
 * events): MESSAGE`, as client-go's aggregator makes it. Events about cluster-scoped objects go to
 * `default`. `times` records that many occurrences in one write (the kubelet's
 * failing probe runs before a kill), the last of them `at` (default now). An Event the API refuses (its name, made
 * from a 253-character pod name, too long) is dropped, as upstream's recorder
 * drops an event the server rejects ("will not retry"): recording an event
 * never fails the component that records it.
 */
export function recordEvent(
  store: ObjectStore,
  object: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  source: { component: string; host?: string },
  times = 1,
  at?: string,
  fieldPath?: string,
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
    ...(fieldPath ? { fieldPath } : {}),
  };
  const correlator = correlatorOf(store, source);
  // The aggregator, keyed without fieldPath or message: from the 10th different message within 10 minutes, one combined Event.
  const aggregateKey = [object.kind, namespace, object.metadata.name, object.metadata.uid, object.apiVersion, type, reason].join('\n');
  let key = `${aggregateKey}\n${fieldPath ?? ''}\n${message}`;
  const time = Date.parse(now);
  let similar = correlator.similar.get(aggregateKey);
  if (!similar || time - similar.last > AGGREGATE_INTERVAL_MS) correlator.similar.set(aggregateKey, (similar = { messages: new Set(), last: time }));
  similar.messages.add(message);
  similar.last = time;
  if (similar.messages.size >= AGGREGATE_MAX_EVENTS) {
    similar.messages.delete(similar.messages.values().next().value!);
    message = `(combined from similar events): ${message}`;
    key = aggregateKey;
  }
  const cached = correlator.names.get(key);
  const existing = cached === undefined ? undefined : store.tryGet(events, namespace, cached);
  if (existing) {
    store.update(events, namespace, cached!, { ...existing, message, count: ((existing.count as number) ?? 1) + times, lastTimestamp: now }, { owned: true });
    return;
  }
  const name = newEventName(store, namespace, object.metadata.name, now);
  if (name.length > MAX_EVENT_NAME_LENGTH) return; // refused by the API server's name check: dropped (see above)
  const body = { metadata: { name }, involvedObject, reason, message, type, source, firstTimestamp: now, lastTimestamp: now, count: times, reportingComponent: source.component };
  try {
    store.create(events, body, namespace, { owned: true });
    correlator.names.set(key, name);
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
  }
}

/** client-go's EventAggregator: this many different messages for one object and reason within the interval are combined. */
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 600_000;
/** client-go's correlator caches (maxLruCacheEntries): the least recently used entry goes past this many. */
const CACHE_ENTRIES = 4096;

/** A map that keeps its `CACHE_ENTRIES` most recently used entries, as the correlator's LRU caches. */
class Lru<V> {
  private readonly entries = new Map<string, V>();
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) this.set(key, value);
    return value;
  }
  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** One recorder's correlator: Event names by key, and the messages seen per object and reason. */
interface Correlator {
  names: Lru<string>;
  similar: Lru<{ messages: Set<string>; last: number }>;
}

/** Each component (and each node's kubelet) records through its own recorder, so each has its own correlator. */
const correlators = new WeakMap<ObjectStore, Map<string, Correlator>>();

function correlatorOf(store: ObjectStore, source: { component: string; host?: string }): Correlator {
  let bySource = correlators.get(store);
  if (!bySource) correlators.set(store, (bySource = new Map()));
  const key = `${source.component}/${source.host ?? ''}`;
  let correlator = bySource.get(key);
  if (!correlator) bySource.set(key, (correlator = { names: new Lru(), similar: new Lru() }));
  return correlator;
}

/** A new Event's name as the recorder makes it, `NAME.%x` of the time in nanoseconds (one more for each taken). */
function newEventName(store: ObjectStore, namespace: string, objectName: string, at: string): string {
  for (let nanos = BigInt(Date.parse(at)) * 1_000_000n; ; nanos++) {
    const name = `${objectName}.${nanos.toString(16)}`;
    if (!store.tryGet(events, namespace, name)) return name;
  }
}

/** Expired Events deleted per timer run (etcd, too, revokes expired leases in batches). */
export const EXPIRE_BATCH = 200;

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
    // At most a batch per timer run: the rest are due at once, so `arm` sets the next timer for
    // now, and a sliced clock advance can yield between two batches (a burst of Events written
    // at one simulated instant all expire at one instant, thousands of deletes at a time).
    while (this.head < this.queue.length && this.queue[this.head].at <= now && due.length < EXPIRE_BATCH) {
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
