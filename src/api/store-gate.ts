import { INestApplication } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { ANONYMOUS_PATHS } from '../auth/token-authenticator';
import { Cluster } from '../cluster/cluster';
import { CLUSTER } from './tokens';

/**
 * While a sliced transaction (a large `apply`) holds the store, requests wait
 * for it to end before their handler runs, so that none sees it half done
 * and none makes it finish at once; the health checks answer meanwhile.
 * With a durable backend (etcd), no answer leaves before the writes
 * committed so far are durable: an acknowledged write is never lost.
 */
export function registerStoreGate(app: INestApplication, fastify: FastifyInstance): void {
  const store = app.get<Cluster>(CLUSTER).store;
  fastify.addHook('preHandler', async (req) => {
    if (!store.isHeld) return;
    const path = req.url.split('?')[0].replace(/\/$/, '');
    if (ANONYMOUS_PATHS.has(path)) return;
    await store.unlocked();
  });
  // With etcd as the store, an answer goes out once what the request wrote is durable (etcd took it), as kube-apiserver answers.
  fastify.addHook('onSend', async () => {
    if (store.hasPendingWrites) await store.durable();
  });
}
