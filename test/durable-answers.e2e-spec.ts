/**
 * With a durable backend (etcd), a write is answered only once it is durable:
 * an acknowledged write is never lost, whatever happens to the process after.
 * A backend that holds its writes until told shows the order; with the memory
 * backend nothing waits.
 */
import request from 'supertest';
import { CLUSTER } from '../src/api/tokens';
import { Cluster } from '../src/cluster/cluster';
import { StoreBackend } from '../src/cluster/store/store-backend';
import { StoredEvent } from '../src/cluster/store/types';
import { startTestApp, TestApp } from './support/test-app';

/** Takes every commit and makes it durable only when `release` is called. */
class HeldBackend implements StoreBackend {
  readonly name = 'held';
  readonly versionPerTransaction = false;
  readonly committed: StoredEvent[] = [];
  private waiting: Array<() => void> = [];
  private open = 0;

  commit(changes: readonly StoredEvent[]): number {
    this.committed.push(...changes);
    this.open++;
    return 1;
  }

  get pending(): boolean {
    return this.open > 0;
  }

  durable(): Promise<void> {
    return this.open === 0 ? Promise.resolve() : new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    this.open = 0;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('answers wait until the writes are durable (e2e)', () => {
  let t: TestApp;
  let backend: HeldBackend;
  beforeEach(async () => {
    t = await startTestApp();
    backend = new HeldBackend();
    t.app.get<Cluster>(CLUSTER).store.useBackend(backend);
  });
  afterEach(() => t.close());

  it('answers a create once the backend has made it durable, not before', async () => {
    let answered = false;
    const response = request(t.http)
      .post('/api/v1/namespaces/default/services')
      .send({ metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } })
      .then((r) => {
        answered = true;
        return r;
      });
    while (!backend.committed.some((e) => e.object.metadata.name === 'web')) await turns(1);
    await turns(50);
    expect(answered).toBe(false);
    backend.release();
    const r = await response;
    expect(r.status).toBe(201);
    expect(backend.committed.find((e) => e.object.metadata.name === 'web')?.type).toBe('ADDED');
  });

  it('answers a read at once while a write waits', async () => {
    const write = request(t.http).post('/api/v1/namespaces/default/configmaps').send({ metadata: { name: 'held' }, data: { a: 'b' } });
    const written = write.then((r) => r);
    while (!backend.committed.some((e) => e.object.metadata.name === 'held')) await turns(1);
    const read = await request(t.http).get('/api/v1/namespaces/default/configmaps/held');
    expect(read.status).toBe(200);
    expect(backend.pending).toBe(true);
    backend.release();
    expect((await written).status).toBe(201);
  });
});
