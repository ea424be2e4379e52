/**
 * For the specs on a real etcd (store-contract.spec.ts, etcd-backend.spec.ts):
 * one etcd per spec file, started before its cases and stopped after them
 * with every backend they connected, and stores that write through a backend.
 */
import { EtcdServer, startEtcd } from '../etcd';
import type { ObjectStore } from '../../../src/cluster/store/object-store';
import { newMemoryStore } from './store';
import type { HistoryLimits } from '../../../src/cluster/store/watch-history';
import { EtcdBackend, EtcdConnection } from '../../../src/cluster/store/etcd/etcd-backend';

export interface SpecEtcd {
  /** The etcd (once `beforeAll` ran). */
  readonly server: EtcdServer;
  /** Every backend connected so far, oldest first. */
  readonly backends: readonly EtcdBackend[];
  /** A backend on this etcd (unless `endpoints` says another), closed after the file's cases. */
  connect(connection: Partial<EtcdConnection>): EtcdBackend;
  /** Resolves once every backend's writes are durable (one etcd, one revision counter: cases must not overlap). */
  settled(): Promise<void>;
}

/** Starts an etcd for the enclosing `describe` (register it there). */
export function useSpecEtcd(): SpecEtcd {
  let server: EtcdServer | undefined;
  const backends: EtcdBackend[] = [];
  beforeAll(async () => {
    server = await startEtcd();
  }, 40_000);
  afterAll(async () => {
    for (const backend of backends) await backend.close(true);
    await server?.stop();
  });
  return {
    get server() {
      return server!;
    },
    backends,
    connect(connection) {
      const backend = EtcdBackend.connect({ endpoints: [server!.endpoint], ...connection });
      backends.push(backend);
      return backend;
    },
    settled: async () => {
      await Promise.all(backends.map((b) => b.durable()));
    },
  };
}

/** A memory store writing through `backend`, filled with what the backend reads back (as start-up does). */
export async function storeOn(backend: EtcdBackend, history: number | Partial<HistoryLimits> = {}): Promise<ObjectStore> {
  const state = await backend.load();
  const { store } = newMemoryStore(history, true);
  store.useBackend(backend);
  store.restore(state.entries, state.revision);
  return store;
}
