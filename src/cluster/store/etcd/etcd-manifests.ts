/**
 * The kubelets' state in etcd (see store-backend.ts): one key per manifest
 * file and per stopped kubelet under `/kube-netsim<prefix>/` (etcd-keys.ts).
 * Changes wait here for the store's next transaction, whose etcd transaction
 * carries them; those no transaction carried are written on their own
 * (`EtcdBackend.commitKubelets`).
 */
import type { KubeletState, KubeletStateKeeper } from '../store-backend';
import type { ObjectInput } from '../types';
import { kubeletStateKey, kubeletStatePrefix, readKubeletState, STOPPED_KUBELET } from './etcd-keys';

/** A put (value) or a delete (null) of one key. */
export type KeyChange = { key: string; value: Buffer } | { key: string; value: null };

export class EtcdKubeletState implements KubeletStateKeeper {
  readonly prefix: string;
  /** Changes since the last etcd transaction, by key. */
  private readonly pending = new Map<string, KeyChange>();
  /** The keys etcd holds, or will once the writes under way are made. */
  private readonly known = new Set<string>();

  constructor(etcdPrefix: string) {
    this.prefix = kubeletStatePrefix(etcdPrefix);
  }

  writeManifest(node: string, file: string, pod: ObjectInput | undefined): void {
    this.set(kubeletStateKey(this.prefix, node, file), pod === undefined ? null : JSON.stringify(pod));
  }

  writeStopped(node: string, stopped: boolean): void {
    this.set(kubeletStateKey(this.prefix, node), stopped ? STOPPED_KUBELET : null);
  }

  replaceAll(state: KubeletState): void {
    for (const key of this.known) this.pending.set(key, { key, value: null });
    this.known.clear();
    for (const { node, file, pod } of state.manifests) this.writeManifest(node, file, pod);
    for (const node of state.stopped) this.writeStopped(node, true);
  }

  /** Whether a change waits for an etcd transaction. */
  get waiting(): boolean {
    return this.pending.size > 0;
  }

  /** The changes for the next etcd transaction; they are forgotten here. */
  take(): KeyChange[] {
    const out = [...this.pending.values()];
    this.pending.clear();
    return out;
  }

  /** Forgets the changes not written yet (a follower's, taking over, made none that count). */
  dropPending(): void {
    this.pending.clear();
  }

  /**
   * What etcd holds (its keys under `prefix`, read at once), which replaces
   * what this process thought it held: changes not written yet are dropped
   * (a follower's, taking over, made none that count).
   */
  read(kvs: ReadonlyArray<{ key: Buffer; value: Buffer }>): KubeletState {
    this.known.clear();
    this.dropPending();
    for (const kv of kvs) {
      const key = kv.key.toString();
      // Only its own keys (with an empty ETCD_PREFIX, `/kube-netsim/revision` is under the prefix too).
      if (key.startsWith(`${this.prefix}manifests/`) || key.startsWith(`${this.prefix}kubelets/`)) this.known.add(key);
    }
    return readKubeletState(this.prefix, kvs);
  }

  private set(key: string, value: string | null): void {
    if (value === null && !this.known.has(key) && !this.pending.has(key)) return; // nothing there to remove
    this.pending.set(key, value === null ? { key, value: null } : { key, value: Buffer.from(value) });
    if (value === null) this.known.delete(key);
    else this.known.add(key);
  }
}
