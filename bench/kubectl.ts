/**
 * bench/kubectl: round trips of the real kubectl (/usr/bin/kubectl, v1.32)
 * against kube-netsim started as `npm start` starts it (src/main.ts in its own
 * process, the demo cluster, the running clock), through the kubeconfig it
 * writes: `get pods`, `describe pod`, `exec client -- curl -s web`, and
 * `create deployment` followed by `rollout status` until it is ready. Each is
 * timed from the start of the kubectl process to its exit, so kubectl's own
 * start-up is in every figure; `kubectl version --client` (no request at all)
 * is timed too, to tell the two apart, and each run's requests are timed as
 * kubectl logs them at -v=6 (`GET ... 200 OK in N milliseconds`, summed: the
 * server's share, plus loopback). Prints median, p95 and max per command;
 * asserts nothing. ROUNDS (default 20) sets the samples per command.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startMain } from '../test/support/main-process';

const ROUNDS = Number(process.env.ROUNDS ?? 20);

interface Ran {
  stdout: string;
  stderr: string;
  code: number;
  ms: number;
  /** The time of its HTTP requests, as kubectl logs them at -v=6, summed. */
  requestMs: number;
}

function kubectl(env: NodeJS.ProcessEnv, args: string[]): Promise<Ran> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    execFile('kubectl', ['-v=6', ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const requestMs = [...stderr.matchAll(/round_trippers\.go:\d+\] \S+ \S+ \d+ .* in (\d+) milliseconds/g)].reduce((sum, m) => sum + Number(m[1]), 0);
      resolve({ stdout, stderr, code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, ms, requestMs });
    });
  });
}

async function must(env: NodeJS.ProcessEnv, args: string[]): Promise<Ran> {
  const r = await kubectl(env, args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function report(name: string, samples: number[], requests?: number[]): void {
  const f = (ms: number) => `${ms.toFixed(0)} ms`.padStart(7);
  const figures = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `median ${f(quantile(sorted, 0.5))}  p95 ${f(quantile(sorted, 0.95))}  max ${f(sorted[sorted.length - 1])}`;
  };
  console.log(`kubectl: ${name} (${samples.length} runs)`);
  console.log(`           whole command: ${figures(samples)}`);
  if (requests) console.log(`           its requests:  ${figures(requests)}`);
}

async function timed(name: string, env: NodeJS.ProcessEnv, args: (i: number) => string[]): Promise<void> {
  await must(env, args(-1)); // warm-up: discovery cached, first-request compilation done
  const samples: number[] = [];
  const requests: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const r = await must(env, args(i));
    samples.push(r.ms);
    requests.push(r.requestMs);
  }
  report(name, samples, requests);
}

async function main(): Promise<void> {
  execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe' });
  const home = mkdtempSync(path.join(tmpdir(), 'kube-netsim-bench-kubectl-'));
  const server = await startMain({ DATA_DIR: path.join(home, '.kube-netsim') });
  try {
    const kubeconfig = /kubectl --kubeconfig (\S+);/.exec(server.line)?.[1];
    if (!kubeconfig) throw new Error(`no kubeconfig in the start-up line: ${server.line}`);
    // HOME of our own: kubectl's discovery cache starts empty and is this run's.
    const env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: path.resolve(kubeconfig) };
    console.log(`kubectl: server ${server.line.split(' ')[3]}, clock running, demo cluster; ${ROUNDS} runs per command after one warm-up`);

    await must(env, ['run', 'client', '--image=busybox', '--', 'sleep', '3600']);
    await must(env, ['wait', '--for=condition=Ready', 'pod/client', '--timeout=60s']);
    const webPod = (await must(env, ['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;

    await timed('version --client (kubectl alone, no request)', env, () => ['version', '--client']);
    await timed('get pods', env, () => ['get', 'pods']);
    await timed('get pods -A -o wide', env, () => ['get', 'pods', '-A', '-o', 'wide']);
    await timed(`describe pod (a web pod, with its events)`, env, () => ['describe', 'pod', webPod]);
    await timed('exec client -- curl -s web', env, () => ['exec', 'client', '--', 'curl', '-s', 'web']);
    await timed("exec client -- sh -c 'for i in $(seq 30); do curl -s web; done'", env, () => ['exec', 'client', '--', 'sh', '-c', 'for i in $(seq 30); do curl -s web; done']);

    // create deployment, then rollout status until its 3 pods are ready, with the running clock.
    const create: number[] = [];
    const createRequests: number[] = [];
    const ready: number[] = [];
    for (let i = -1; i < ROUNDS; i++) {
      const name = `bench-${i + 1}`;
      const start = process.hrtime.bigint();
      const created = await must(env, ['create', 'deployment', name, '--image=nginx', '--replicas=3']);
      await must(env, ['rollout', 'status', `deployment/${name}`, '--timeout=60s']);
      const total = Number(process.hrtime.bigint() - start) / 1e6;
      if (i >= 0) {
        create.push(created.ms);
        createRequests.push(created.requestMs);
        ready.push(total);
      }
      await must(env, ['delete', 'deployment', name, '--wait=false']);
    }
    report('create deployment --replicas=3', create, createRequests);
    report('create deployment, then rollout status until ready', ready);
  } finally {
    server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
