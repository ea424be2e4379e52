import { Test } from '@nestjs/testing';
import { AppModule, buildCluster } from '../src/app.module';
import { configureApp, createHttpAdapter } from '../src/api/configure-app';
import { readConfig } from '../src/config/app-config';
import { SimulationClock } from '../src/cluster/simulation-clock';
import { SeededRandom } from '../src/common/random';
import { loadClusterFile } from '../src/cluster/apply/cluster-file';
async function main() {
  const config = readConfig({ CLUSTER_FILE: 'none' });
  const clock = new SimulationClock(); const random = new SeededRandom(1);
  const cluster = buildCluster(config, clock, random);
  loadClusterFile(cluster, 'fixtures/clusters/demo.yaml');
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ config, cluster, clock, random })] }).compile();
  const app = configureApp(moduleRef.createNestApplication(createHttpAdapter(), { logger: false, bodyParser: false }));
  await app.init();
  const f = (app as any).getHttpAdapter().getInstance();
  for (const depth of [1000, 5000, 9999]) for (const [m, url, wrap] of [['POST','/netsim/v1/trace', (d: string) => `{"from": ${d}}`], ['POST','/netsim/v1/traffic', (d: string) => `{"from": ${d}}`], ['PUT','/netsim/v1/kube-proxy/config', (d: string) => `{"iptables": ${d}}`], ['POST','/api/v1/namespaces/default/services', (d: string) => `{"metadata": {"name": "x", "annotations": ${d}}}`], ['PATCH','/api/v1/namespaces/default/services/web', (d: string) => `{"metadata": {"annotations": ${d}}}`]] as const) {
    const deep = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const r = await f.inject({ method: m, url, headers: { 'content-type': m === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }, payload: wrap(deep) });
    console.log(depth, url, r.statusCode, r.body.slice(0, 120));
  }
  await app.close();
}
main();
