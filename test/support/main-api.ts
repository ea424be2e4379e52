import type { MainProcess } from './main-process';

/** What a call to a kube-netsim process answered: the status and the JSON body. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** An object as the API answers it, the fields the etcd specs read. */
export interface ApiObject {
  metadata: { name: string; namespace?: string; uid: string; resourceVersion: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
}

/** One JSON request to a kube-netsim process (the real entry point, see main-process.ts). */
export async function call(main: MainProcess, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${main.port}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Runs `make(i)` for i in [0, count) with `width` requests in flight; every answer must be a 201. */
export async function createAll(count: number, width: number, make: (i: number) => Promise<Answer>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const answer = await make(i);
      if (answer.status !== 201) throw new Error(`create ${i}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}

/** The items of a list. */
export async function list(main: MainProcess, path: string): Promise<ApiObject[]> {
  const answer = await call(main, 'GET', path);
  if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.items as ApiObject[];
}

/** The pods of `default` once there are at least `count` and all have an IP. */
export async function podsWithIPs(main: MainProcess, count: number): Promise<ApiObject[]> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const pods = await list(main, '/api/v1/namespaces/default/pods');
    if (pods.length >= count && pods.every((p) => p.status?.podIP)) return pods;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the pods did not all get an IP');
}

/** The ClusterIPs and NodePorts Services hold. */
export function addressesOf(services: ApiObject[]): { ips: string[]; ports: number[] } {
  return {
    ips: services.map((s) => s.spec.clusterIP as string),
    ports: services.flatMap((s) => ((s.spec.ports as Array<{ nodePort?: number }>) ?? []).map((p) => p.nodePort).filter((p): p is number => !!p)),
  };
}

/** Kills a kube-netsim process (SIGKILL unless said) and waits for it to exit. */
export async function killMain(main: MainProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (main.child.exitCode !== null || main.child.signalCode !== null) return;
  const exited = new Promise((resolve) => main.child.once('exit', resolve));
  main.child.kill(signal);
  await exited;
}
