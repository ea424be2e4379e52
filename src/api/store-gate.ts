import { INestApplication } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { ANONYMOUS_PATHS } from '../auth/token-authenticator';
import { Cluster } from '../cluster/cluster';
import { CLUSTER } from './tokens';

/**
 * While a sliced transaction (a large `apply`) holds the store, requests wait
 * for it to end before their handler runs, so that none sees it half done
 * and none makes it finish at once; the health checks answer meanwhile.
 * With a durable backend (etcd), no answer to a write leaves before the
 * writes committed so far are durable: an acknowledged write is never lost.
 */
export function registerStoreGate(app: INestApplication, fastify: FastifyInstance): void {
  // The cluster served now (a restore or a reset replaces it).
  const cluster = app.get<Cluster>(CLUSTER);
  fastify.addHook('preHandler', async (req) => {
    const store = cluster.store;
    if (!store.isHeld) return;
    const path = req.url.split('?')[0].replace(/\/$/, '');
    if (ANONYMOUS_PATHS.has(path)) return;
    await store.unlocked();
  });
  // With etcd as the store, the answer to a write goes out once what it wrote is durable (etcd took it), as kube-apiserver answers.
  // Reads answer at once: they are served from the store, which is never behind etcd.
  fastify.addHook('onSend', async (req) => {
    const store = cluster.store;
    if (store.hasPendingWrites && req.method !== 'GET' && req.method !== 'HEAD') await store.durable();
  });
}
