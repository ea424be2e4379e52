import { Container } from '../resources/pod.types';
import { KubeObject } from '../store/types';
import { runProbe } from './probe';

const pod = { metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { containers: [] }, status: { podIP: '10.244.1.5' } } as unknown as KubeObject;
const container = { name: 'app', image: 'busybox:1.36' } as Container;
const exec = (command: string[], timeoutSeconds?: number) => runProbe(pod, container, { exec: { command }, timeoutSeconds });

describe('exec probes', () => {
  it('a program the image lacks, run directly, fails to start as containerd says; through sh -c, as the shell says', () => {
    expect(exec(['pgrep', 'nginx'])).toEqual({ ok: false, output: 'OCI runtime exec failed: exec failed: unable to start container process: exec: "pgrep": executable file not found in $PATH: unknown' });
    expect(exec(['/usr/bin/pgrep', 'nginx'])).toEqual({
      ok: false,
      output: 'OCI runtime exec failed: exec failed: unable to start container process: exec: "/usr/bin/pgrep": stat /usr/bin/pgrep: no such file or directory: unknown',
    });
    expect(exec(['sh', '-c', 'pgrep nginx'])).toEqual({ ok: false, output: 'sh: pgrep: not found\n' });
    expect(exec(['/bin/sh', '-c', 'true']).ok).toBe(true);
  });

  it('a run past timeoutSeconds (default 1 s) fails as the kubelet reports an ExecSync deadline', () => {
    expect(exec(['sleep', '5'])).toEqual({ ok: false, output: 'command "sleep 5" timed out' });
    expect(exec(['sh', '-c', 'sleep 2; true'], 3)).toEqual({ ok: true, output: '' });
    expect(exec(['sleep', '3'], 3)).toEqual({ ok: false, output: 'command "sleep 3" timed out' });
  });
});
