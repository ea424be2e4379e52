/**
 * Safe by default, shown with the kernel: kube-netsim, started as `npm start`
 * starts it, inside a network namespace of its own that has a non-loopback
 * address on a veth pair, is reachable on loopback (127.0.0.1 and ::1) and
 * refuses connections on that address from a second namespace; with
 * BIND_ADDRESS=0.0.0.0 the second namespace connects. In a namespace without
 * IPv6 it serves 127.0.0.1 alone and says so. Every address used is inside
 * the namespaces this test makes (10.201.0.0/24, fd00:201::/64); no traffic
 * leaves them.
 *
 * Needs root, iproute2 and curl (not iptables); skipped (and says why) where
 * it cannot run, a failure with NSIM_KERNEL_REQUIRED=1.
 */
import { spawnSync } from 'node:child_process';
import { startMain, MainProcess } from '../support/main-process';
import { addNamespace, deleteNamespace, kernelDescribe, namespaceStem, networkNamespacesUnavailable, runScript } from './support/netns';

const describeKernel = kernelDescribe('listening address tests', networkNamespacesUnavailable(['curl']));

const SERVER_V4 = '10.201.0.1';
const CLIENT_V4 = '10.201.0.2';
const SERVER_V6 = 'fd00:201::1';
const CLIENT_V6 = 'fd00:201::2';

/** A GET of /healthz with curl from inside a namespace: `ok`, or curl's failure (exit 7: could not connect). */
function curlFrom(ns: string, host: string, port: number): string {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
  const r = spawnSync('ip', ['netns', 'exec', ns, 'curl', '-sS', '--max-time', '10', url], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : `curl exit ${r.status}: ${r.stderr.trim()}`;
}

describeKernel('where kube-netsim listens (kernel)', () => {
  let server: string;
  let client: string;
  let main: MainProcess | undefined;

  beforeAll(() => {
    const stem = namespaceStem();
    server = `${stem}s`;
    client = `${stem}c`;
    addNamespace(server);
    addNamespace(client);
    runScript([
      `ip -n ${server} link set lo up`,
      `ip -n ${client} link set lo up`,
      `ip -n ${server} link add eth0 type veth peer name eth0 netns ${client}`,
      `ip -n ${server} addr add ${SERVER_V4}/24 dev eth0`,
      `ip -n ${client} addr add ${CLIENT_V4}/24 dev eth0`,
      `ip -n ${server} addr add ${SERVER_V6}/64 dev eth0 nodad`,
      `ip -n ${client} addr add ${CLIENT_V6}/64 dev eth0 nodad`,
      `ip -n ${server} link set eth0 up`,
      `ip -n ${client} link set eth0 up`,
    ]);
  });
  afterEach(() => {
    main?.stop();
    main = undefined;
  });
  afterAll(() => {
    deleteNamespace(server);
    deleteNamespace(client);
  });

  it('by default: loopback answers, the veth address refuses, from the other namespace and from its own', async () => {
    main = await startMain({ CLUSTER_FILE: 'none', DATA_DIR: 'none' }, ['ip', 'netns', 'exec', server]);
    expect(curlFrom(server, '127.0.0.1', main.port)).toBe('ok');
    expect(curlFrom(server, '::1', main.port)).toBe('ok');
    // The path works (the veth pair carries traffic): the kernel answers with a reset, "refused".
    expect(curlFrom(client, SERVER_V4, main.port)).toMatch(/^curl exit 7: .*(Connection refused|Couldn't connect)/);
    expect(curlFrom(client, SERVER_V6, main.port)).toMatch(/^curl exit 7: .*(Connection refused|Couldn't connect)/);
    expect(curlFrom(server, SERVER_V4, main.port)).toMatch(/^curl exit 7: /);
    expect(main.stderr()).not.toContain('warning');
  });

  it('with BIND_ADDRESS=0.0.0.0: the other namespace connects, over IPv4 and IPv6, and the log warns', async () => {
    main = await startMain({ CLUSTER_FILE: 'none', DATA_DIR: 'none', BIND_ADDRESS: '0.0.0.0' }, ['ip', 'netns', 'exec', server]);
    expect(curlFrom(client, SERVER_V4, main.port)).toBe('ok');
    expect(curlFrom(client, SERVER_V6, main.port)).toBe('ok');
    expect(curlFrom(server, '127.0.0.1', main.port)).toBe('ok');
    expect(main.stderr()).toContain(
      `kube-netsim: warning: BIND_ADDRESS=0.0.0.0: the API is open to other hosts on [::]:${main.port}, with no authentication (set TOKEN_AUTH_FILE to require tokens)`,
    );
  });

  it('with BIND_ADDRESS set to the veth address: that address only, loopback refused', async () => {
    main = await startMain({ CLUSTER_FILE: 'none', DATA_DIR: 'none', BIND_ADDRESS: SERVER_V4 }, ['ip', 'netns', 'exec', server]);
    expect(curlFrom(client, SERVER_V4, main.port)).toBe('ok');
    expect(curlFrom(server, '127.0.0.1', main.port)).toMatch(/^curl exit 7: /);
    expect(curlFrom(client, SERVER_V6, main.port)).toMatch(/^curl exit 7: /);
  });

  it('on a host without IPv6: 127.0.0.1 alone, with a note, still no other address', async () => {
    const stem = namespaceStem();
    const v4only = `${stem}4`;
    addNamespace(v4only);
    try {
      runScript([
        `ip netns exec ${v4only} sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 -w net.ipv6.conf.default.disable_ipv6=1 -w net.ipv6.conf.lo.disable_ipv6=1`,
        `ip -n ${v4only} link set lo up`,
      ]);
      main = await startMain({ CLUSTER_FILE: 'none', DATA_DIR: 'none' }, ['ip', 'netns', 'exec', v4only]);
      expect(main.line).toContain(`listening on http://localhost:${main.port} (127.0.0.1:${main.port}) with an empty cluster`);
      expect(main.stderr()).toContain('kube-netsim: the IPv6 loopback address ::1 is not available on this host: serving 127.0.0.1 only');
      expect(curlFrom(v4only, '127.0.0.1', main.port)).toBe('ok');
    } finally {
      main?.stop();
      main = undefined;
      deleteNamespace(v4only);
    }
  });
});
