import request from 'supertest';
import { startTestApp, type TestApp } from './test-app';

/** A dual-stack cluster's ranges, as the environment gives them. */
export const DUAL_STACK = { SERVICE_CLUSTER_IP_RANGE: '10.96.0.0/16,fd00:10:96::/112', CLUSTER_CIDR: '10.244.0.0/16,fd00:10:244::/56' };

/** An app with one node `worker` running two pods labelled `app: web` (port 8080): web-a and web-b. */
export async function startWorkerCluster(env: Record<string, string>): Promise<TestApp> {
  const t = await startTestApp(env);
  const post = (path: string, body: unknown) => request(t.http).post(path).send(body as object);
  await post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker' } }).expect(201);
  for (const name of ['web-a', 'web-b']) {
    await post('/api/v1/namespaces/default/pods', {
      metadata: { name, labels: { app: 'web' } },
      spec: { nodeName: 'worker', containers: [{ name: 'app', image: 'nginx', ports: [{ containerPort: 8080 }] }] },
    }).expect(201);
  }
  return t;
}

/** Creates the RequireDualStack Service `default/web` (port 80 to the pods' 8080) and answers its ClusterIPs, IPv4 first. */
export async function createDualStackWeb(t: TestApp): Promise<[string, string]> {
  const svc = (
    await request(t.http)
      .post('/api/v1/namespaces/default/services')
      .send({ metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80, targetPort: 8080 }] } })
      .expect(201)
  ).body.spec as { clusterIPs: [string, string] };
  return svc.clusterIPs;
}
