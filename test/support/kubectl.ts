import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What one run of the real kubectl printed, and its exit code. */
export interface KubectlRun {
  stdout: string;
  stderr: string;
  code: number;
}

/** The real kubectl (v1.32) against the app listening on `port()`: a non-zero exit is an answer, not a throw. */
export function kubectlAt(port: () => number | undefined): (...args: string[]) => Promise<KubectlRun> {
  return async (...args) => {
    try {
      const { stdout, stderr } = await run('kubectl', ['--server', `http://127.0.0.1:${port()}`, ...args], { timeout: 30000 });
      return { stdout, stderr, code: 0 };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; code?: number };
      if (typeof err.code !== 'number') throw e;
      return { stdout: err.stdout ?? '', stderr: err.stderr ?? '', code: err.code };
    }
  };
}
