/**
 * The OpenAPI documents and field validation. Run with
 *   node -r ./bench/register.js bench/openapi.ts
 * (or `npm run bench -- openapi`). Figures: the first build of every v3
 * group-version document and of v2 (the data file read and parsed once),
 * a cached answer, their sizes and heap, and per body the field validation
 * of a Deployment as kubectl sends it.
 */
import { performance } from 'node:perf_hooks';
import { validateFields } from '../src/api/kube/field-validation';
import { openApiV2Document, openApiV3Document, openApiV3Index } from '../src/api/kube/openapi-v3';
import { resourceTypeByKey } from '../src/cluster/store/resource-types';

function line(what: string, figure: string): void {
  process.stdout.write(`openapi: ${what}: ${figure}\n`);
}

(global as { gc?: () => void }).gc?.();
const heap0 = process.memoryUsage().heapUsed;
let start = performance.now();
const paths = Object.keys(openApiV3Index().paths);
let bytes = 0;
for (const p of paths) bytes += JSON.stringify(openApiV3Document(p)).length;
line(`v3, first build of the ${paths.length} group-version documents (reads the data file)`, `${(performance.now() - start).toFixed(1)} ms, ${(bytes / 1024).toFixed(0)} KiB as JSON`);
start = performance.now();
const v2 = JSON.stringify(openApiV2Document()).length;
line('v2, first build', `${(performance.now() - start).toFixed(1)} ms, ${(v2 / 1024).toFixed(0)} KiB as JSON`);
start = performance.now();
for (let i = 0; i < 1000; i++) openApiV3Document('api/v1');
line('v3 api/v1, cached', `${(((performance.now() - start) / 1000) * 1000).toFixed(2)} µs per request (before serialisation)`);
(global as { gc?: () => void }).gc?.();
line('heap kept by the documents', `${((process.memoryUsage().heapUsed - heap0) / 1024 / 1024).toFixed(1)} MiB`);

const deployments = resourceTypeByKey('deployments.apps')!;
const body = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: Array.from({ length: 4 }, (_, i) => ({
          name: `c${i}`,
          image: 'nginx:1.27',
          ports: [{ containerPort: 8080 + i }],
          env: Array.from({ length: 10 }, (_, j) => ({ name: `V${j}`, value: 'x' })),
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 + i } },
          resources: { requests: { cpu: '100m', memory: '64Mi' } },
        })),
      },
    },
  },
});
const n = 2000;
const bodies = Array.from({ length: n }, body);
start = performance.now();
for (const b of bodies) validateFields(deployments, b, 'Strict');
line('field validation of a 4-container Deployment', `${(((performance.now() - start) / n) * 1000).toFixed(1)} µs per body`);
