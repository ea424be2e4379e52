import fs from 'fs';
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
  for (const file of process.argv.slice(2)) {
    const body = fs.readFileSync(file, 'utf8');
    const s = Date.now();
    const r = await f.inject({ method: 'POST', url: '/netsim/v1/apply', headers: { 'content-type': 'application/yaml' }, payload: body });
    console.log(file, r.statusCode, r.body.slice(0, 150), Date.now() - s, 'ms');
  }
  await app.close();
}
main();
