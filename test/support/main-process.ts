import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** The real entry point (`src/main.ts`) running as its own process, as `npm start` runs it. */
export interface MainProcess {
  readonly child: ChildProcess;
  /** The start-up line (`kube-netsim listening on ...`). */
  readonly line: string;
  /** The port it chose (it is started with PORT=0). */
  readonly port: number;
  /** What it wrote to stderr so far. */
  stderr(): string;
  stop(): void;
}

/**
 * Starts `src/main.ts` with PORT=0 and `env`, its command line after `prefix`
 * (`ip netns exec <ns>`, say); resolves once it prints its start-up line.
 */
export function startMain(env: Record<string, string>, prefix: readonly string[] = []): Promise<MainProcess> {
  const argv = [...prefix, process.execPath, '-r', path.join(root, 'bench/register.js'), path.join(root, 'src/main.ts')];
  const child = spawn(argv[0], argv.slice(1), {
    cwd: root,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kube-netsim did not start: ${stderr}`));
    }, 60000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kube-netsim exited with ${code}: ${stderr}`));
    });
    child.stdout!.on('data', (d) => {
      stdout += d;
      const line = /^kube-netsim listening on .*$/m.exec(stdout)?.[0];
      if (!line) return;
      clearTimeout(timer);
      resolve({
        child,
        line,
        port: Number(/:(\d+)/.exec(line)?.[1]),
        stderr: () => stderr,
        stop: () => child.kill('SIGKILL'),
      });
    });
  });
}
