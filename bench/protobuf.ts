/**
 * Protobuf body decoding. Run with
 *   node -r ./bench/register.js bench/protobuf.ts
 * (or `npm run bench -- protobuf`). Figures: the schema's one-time parse,
 * and per body the decode of what `kubectl create deployment` sends and of a
 * larger Deployment (4 containers with probes, env, resources and volumes).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { decodeKubernetesProtobuf, kubernetesProtoRoot } from '../src/api/protobuf/decode';

function line(what: string, figure: string): void {
  process.stdout.write(`protobuf: ${what}: ${figure}\n`);
}

let start = performance.now();
const root = kubernetesProtoRoot();
line('schema parse and resolve (once per process)', `${(performance.now() - start).toFixed(1)} ms`);

const small = readFileSync(path.resolve(__dirname, '../fixtures/protobuf/deployment-web2-replicas-2.bin'));
const deployment = root.lookupType('k8s.io.api.apps.v1.Deployment');
const container = (i: number) => ({
  name: `c${i}`,
  image: 'nginx:1.27',
  ports: [{ containerPort: 8080 + i, protocol: 'TCP' }],
  env: Array.from({ length: 10 }, (_, j) => ({ name: `VAR_${j}`, value: `value-${j}` })),
  resources: { requests: { cpu: { string: '100m' }, memory: { string: '64Mi' } }, limits: { memory: { string: '128Mi' } } },
  readinessProbe: { handler: { httpGet: { path: '/healthz', port: { type: 0, intVal: 8080 + i } } }, periodSeconds: 5 },
  volumeMounts: [{ name: 'config', mountPath: '/etc/config' }],
});
const raw = deployment
  .encode(
    deployment.fromObject({
      metadata: { name: 'big', labels: { app: 'big', tier: 'web' }, annotations: { note: 'x'.repeat(200) } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'big' } },
        template: {
          metadata: { labels: { app: 'big', tier: 'web' } },
          spec: { containers: [0, 1, 2, 3].map(container), volumes: [{ name: 'config', volumeSource: { configMap: { localObjectReference: { name: 'cfg' } } } }] },
        },
      },
    }),
  )
  .finish();
const unknown = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
const big = Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown.encode(unknown.fromObject({ typeMeta: { apiVersion: 'apps/v1', kind: 'Deployment' }, raw })).finish()]);

for (const [name, body] of [
  ['kubectl create deployment', small],
  ['Deployment with 4 full containers', big],
] as const) {
  const runs = 20000;
  for (let i = 0; i < 2000; i++) decodeKubernetesProtobuf(body);
  start = performance.now();
  for (let i = 0; i < runs; i++) decodeKubernetesProtobuf(body);
  const us = ((performance.now() - start) * 1000) / runs;
  line(`decode ${name} (${body.length} bytes)`, `${us.toFixed(1)} µs per body`);
}
