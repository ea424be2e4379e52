/**
 * The kubelets' manifest directories in etcd (see store-backend.ts): one key
 * per file under `/kube-netsim<prefix>/manifests/<node>/<file>`, the manifest
 * as JSON. Changes wait here for the store's next transaction, whose etcd
 * transaction carries them (they take no revision of their own, so the
 * resourceVersions stay etcd's revisions).
 */
import type { ManifestDirectories, NodeManifest } from '../store-backend';
import type { ObjectInput } from '../types';
import { manifestsPrefix, readManifestKey } from './etcd-keys';

/** A put (value) or a delete (null) of one key. */
export type KeyChange = { key: string; value: Buffer } | { key: string; value: null };

export class EtcdManifestFiles implements ManifestDirectories {
  readonly prefix: string;
  /** Changes since the last store transaction, by key. */
  private readonly pending = new Map<string, KeyChange>();
  /** The keys etcd holds, or will once the writes under way are made. */
  private readonly known = new Set<string>();

  constructor(etcdPrefix: string) {
    this.prefix = manifestsPrefix(etcdPrefix);
  }

  write(node: string, file: string, pod: ObjectInput | undefined): void {
    const key = `${this.prefix}${node}/${file}`;
    this.pending.set(key, { key, value: pod === undefined ? null : Buffer.from(JSON.stringify(pod)) });
    if (pod === undefined) this.known.delete(key);
    else this.known.add(key);
  }

  replaceAll(manifests: readonly NodeManifest[]): void {
    for (const key of this.known) this.pending.set(key, { key, value: null });
    this.known.clear();
    for (const { node, file, pod } of manifests) this.write(node, file, pod);
  }

  /** The changes for the next etcd transaction; they are forgotten here. */
  take(): KeyChange[] {
    const out = [...this.pending.values()];
    this.pending.clear();
    return out;
  }

  /** What etcd holds (its keys under `prefix`, read at once): the manifests, a key or value that is not one left out. */
  read(kvs: ReadonlyArray<{ key: Buffer; value: Buffer }>): NodeManifest[] {
    this.known.clear();
    const out: NodeManifest[] = [];
    for (const kv of kvs) {
      const key = kv.key.toString();
      this.known.add(key);
      const manifest = readManifestKey(this.prefix, key, kv.value);
      if (manifest) out.push(manifest);
    }
    return out;
  }
}
