import { formatIPv4 } from '../common/ipv4';
import { buildCluster } from '../app.module';
import { loadClusterFile } from '../cluster/apply/cluster-file';
import type { Cluster } from '../cluster/cluster';
import { SimulationClock } from '../cluster/simulation-clock';
import { SeededRandom } from '../common/random';
import { readConfig } from '../config/app-config';
import { TrafficSimulator } from '../dataplane/traffic';
import { PodExec } from './pod-exec';

function demo(): { cluster: Cluster; exec: PodExec; traffic: TrafficSimulator } {
  const config = readConfig({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml' });
  const cluster = buildCluster(config, new SimulationClock(Date.UTC(2026, 0, 1)), new SeededRandom(1));
  loadClusterFile(cluster, config.clusterFile, process.cwd());
  cluster.store.create(cluster.store.resourceType('pods'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client' }, spec: { containers: [{ name: 'client', image: 'busybox' }] } } as never, 'default');
  const traffic = new TrafficSimulator(cluster);
  return { cluster, exec: new PodExec(cluster, traffic), traffic };
}

function sh(exec: PodExec, script: string, pod = 'client', namespace = 'default') {
  const shell = exec.shell({ namespace, pod });
  let out = '';
  let err = '';
  const status = shell.exec(['sh', '-c', script], (t) => (out += t), (t) => (err += t));
  // The last line of stderr (curl's error, after its progress meter).
  const tail = err.replace(/\n$/, '').split('\n').pop()! + (err ? '\n' : '');
  return { out, err, tail, status, elapsedMs: shell.elapsedMs };
}

const webPods = (cluster: Cluster) =>
  cluster.store
    .list(cluster.store.resourceType('pods'), { namespace: 'default' })
    .items.filter((p) => p.metadata.labels?.app === 'web')
    .map((p) => p.metadata.name)
    .sort();

describe('PodExec: a shell in a pod', () => {
  let d: ReturnType<typeof demo>;
  beforeAll(() => {
    d = demo();
  });

  it('curls a Service: each connection is sampled, and every web pod answers with its name', () => {
    const r = sh(d.exec, 'for i in $(seq 30); do curl -s web; done');
    expect(r.status).toBe(0);
    const names = r.out.trim().split('\n');
    expect(names).toHaveLength(30);
    expect([...new Set(names)].sort()).toEqual(webPods(d.cluster));
  });

  it('moves conntrack: each curl leaves an entry on the client node', () => {
    const node = d.traffic.network.pod('default', 'client')!.node!;
    const before = d.traffic.network.conntrack(node).list().length;
    sh(d.exec, 'curl -s web; curl -s web.default.svc.cluster.local');
    expect(d.traffic.network.conntrack(node).list().length).toBeGreaterThan(before);
  });

  it('pings through the traffic engine: one icmp entry per run on the client node, keyed by the run\'s id, replied', () => {
    const node = d.traffic.network.pod('default', 'client')!.node!;
    const client = formatIPv4(d.traffic.network.pod('default', 'client')!.address!);
    const icmp = () => d.traffic.network.conntrack(node).list().filter((c) => c.protocol === 'icmp');
    expect(icmp()).toEqual([]);
    expect(sh(d.exec, 'ping -c 3 10.244.2.2').status).toBe(0);
    const entries = icmp();
    expect(entries).toHaveLength(1);
    expect(entries[0].text).toMatch(new RegExp(`^icmp +1 30 src=${client.replace(/\./g, '\\.')} dst=10\\.244\\.2\\.2 type=8 code=0 id=(\\d+) src=10\\.244\\.2\\.2 dst=\\S+ type=0 code=0 id=\\1 mark=0 use=1$`));
  });

  it('logs each request in the answering pod, with the client address it saw', () => {
    const r = sh(d.exec, 'curl -s -A probe/1 web/hello');
    const pod = r.out.trim();
    const { lines } = d.exec.logLines({ namespace: 'default', pod });
    expect(lines[lines.length - 1]).toBe(`10.244.1.5 - - [01/Jan/2026:00:00:00 +0000] "GET /hello HTTP/1.1" 200 ${pod.length + 1} "-" "probe/1"`);
    const stamped = d.exec.logLines({ namespace: 'default', pod }, { timestamps: true, tailLines: 1 }).lines;
    expect(stamped).toEqual([`2026-01-01T00:00:00.000000000Z ${lines[lines.length - 1]}`]);
  });

  it("prints curl's progress meter on stderr unless -s, -v or a terminal", () => {
    const r = sh(d.exec, 'curl web');
    const size = r.out.length;
    expect(r.err).toBe(
      '  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n' +
        '                                 Dload  Upload   Total   Spent    Left  Speed\n' +
        '\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0' +
        `\r100    ${size}  100    ${size}    0     0  ${String(size * 1000).padStart(5)}      0 --:--:-- --:--:-- --:--:-- ${String(size * 1000).padStart(5)}\n`,
    );
    const shell = d.exec.shell({ namespace: 'default', pod: 'client' });
    shell.tty = true;
    let err = '';
    shell.exec(['curl', 'web'], () => undefined, (t) => (err += t));
    expect(err).toBe('');
  });

  it('prints curl 8 failures with their exit codes', () => {
    expect(sh(d.exec, 'curl nope')).toMatchObject({ tail: 'curl: (6) Could not resolve host: nope\n', status: 6 });
    expect(sh(d.exec, 'curl -s nope')).toMatchObject({ err: '', status: 6 });
    expect(sh(d.exec, 'curl -sS web:81')).toMatchObject({ status: 28 });
    // db's Service port 5432 is declared; a pod port nobody declares is refused.
    expect(sh(d.exec, 'curl 10.244.1.2:9999')).toMatchObject({ tail: "curl: (7) Failed to connect to 10.244.1.2 port 9999 after 0 ms: Couldn't connect to server\n", status: 7 });
  });

  it('answers a Service without endpoints as kube-proxy does: REJECT, so curl says refused', () => {
    d.cluster.store.create(d.cluster.store.resourceType('services'), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'empty' }, spec: { selector: { app: 'none' }, ports: [{ port: 80 }] } } as never, 'default');
    expect(sh(d.exec, 'curl empty')).toMatchObject({ tail: "curl: (7) Failed to connect to empty port 80 after 0 ms: Couldn't connect to server\n", status: 7 });
    expect(sh(d.exec, 'wget -qO- empty')).toMatchObject({ status: 1 });
    expect(sh(d.exec, 'wget -qO- empty').err).toMatch(/^wget: can't connect to remote host \(10\.\d+\.\d+\.\d+\): Connection refused\n$/);
    expect(sh(d.exec, 'nc -zv empty 80').err).toMatch(/^nc: empty \(10\.\d+\.\d+\.\d+:80\): Connection refused\n$/);
  });

  it('times out a dropped connection on simulated time: -m, --connect-timeout, wget -T', () => {
    // No rule takes port 81 of the web ClusterIP, and nothing listens there: the packet goes nowhere.
    expect(sh(d.exec, 'curl -m 2 web:81')).toMatchObject({ tail: 'curl: (28) Connection timed out after 2000 milliseconds\n', status: 28, elapsedMs: 2000 });
    expect(sh(d.exec, 'curl --connect-timeout 3 web:81')).toMatchObject({ tail: 'curl: (28) Failed to connect to web port 81 after 3000 ms: Timeout was reached\n', status: 28 });
    expect(sh(d.exec, 'wget -T 2 -qO- web:81')).toMatchObject({ err: 'wget: download timed out\n', status: 1 });
  });

  it('prints curl -v and -I, and wget -qO-', () => {
    const v = sh(d.exec, 'curl -v web');
    expect(v.err).toMatch(/^\* Host web:80 was resolved\.\n\* IPv6: \(none\)\n\* IPv4: 10\.\S+\n\* {3}Trying 10\.\S+:80\.\.\.\n\* Connected to web \(10\.\S+\) port 80\n> GET \/ HTTP\/1\.1\n> Host: web\n> User-Agent: curl\/8\.11\.1\n/);
    expect(sh(d.exec, 'curl -sI web').out).toMatch(/^HTTP\/1\.1 200 OK\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nContent-Length: \d+\r\nContent-Type: text\/plain; charset=utf-8\r\n\r\n$/);
    expect(webPods(d.cluster)).toContain(sh(d.exec, 'wget -qO- web').out.trim());
    expect(sh(d.exec, 'curl -s -o /dev/null -w "%{http_code}\\n" web').out).toBe('200\n');
  });

  it('checks ports with nc -zv (TCP) and nc -vz -u (UDP: silence is open)', () => {
    const ip = (d.cluster.store.get(d.cluster.store.resourceType('services'), 'default', 'web').spec as { clusterIP: string }).clusterIP;
    expect(sh(d.exec, 'nc -zv web 80')).toMatchObject({ err: `web (${ip}:80) open\n`, status: 0 });
    expect(sh(d.exec, 'nc -vz -u kube-dns.kube-system 53')).toMatchObject({ err: 'kube-dns.kube-system (10.96.0.10:53) open\n', status: 0 });
    expect(sh(d.exec, 'nc -zv -w 2 web 81')).toMatchObject({ err: `nc: web (${ip}:81): Connection timed out\n`, status: 1, elapsedMs: 2000 });
    expect(sh(d.exec, 'nc -zv nope 80')).toMatchObject({ err: "nc: bad address 'nope'\n", status: 1 });
  });

  it('prints what curl and wget print for https, bad options and no URL', () => {
    expect(sh(d.exec, 'curl -sS https://web:80').tail).toBe('curl: (35) OpenSSL/3.3.2: error:0A00010B:SSL routines::wrong version number\n');
    expect(sh(d.exec, 'curl -sS https://web:80').status).toBe(35);
    expect(sh(d.exec, 'curl --bogus web')).toMatchObject({ status: 2, err: "curl: option --bogus: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n" });
    expect(sh(d.exec, 'curl')).toMatchObject({ status: 2 });
    expect(sh(d.exec, 'wget web')).toMatchObject({ status: 1, err: expect.stringContaining("wget: can't open 'index.html': Read-only file system\n") });
    expect(sh(d.exec, 'wget nope')).toMatchObject({ status: 1, err: "wget: bad address 'nope'\n" });
  });

  it('resolves names as the pod resolver does: nslookup, host, dig', () => {
    const ip = (d.cluster.store.get(d.cluster.store.resourceType('services'), 'default', 'web').spec as { clusterIP: string }).clusterIP;
    expect(sh(d.exec, 'nslookup web')).toMatchObject({ status: 0, out: `Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tweb.default.svc.cluster.local\nAddress: ${ip}\n\n` });
    expect(sh(d.exec, 'nslookup nope')).toMatchObject({ status: 1, out: "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n** server can't find nope: NXDOMAIN\n\n" });
    expect(sh(d.exec, 'host web').out).toBe(`web.default.svc.cluster.local has address ${ip}\n`);
    expect(sh(d.exec, 'host nope')).toMatchObject({ out: 'Host nope not found: 3(NXDOMAIN)\n', status: 1 });
    expect(sh(d.exec, 'dig +short web.default.svc.cluster.local').out).toBe(`${ip}\n`);
    // dig does not search unless told to.
    expect(sh(d.exec, 'dig +short web').out).toBe('');
    expect(sh(d.exec, 'dig +short +search web').out).toBe(`${ip}\n`);
    expect(sh(d.exec, 'dig web.default.svc.cluster.local').out).toContain(`;; ANSWER SECTION:\nweb.default.svc.cluster.local.\t30\tIN\tA\t${ip}\n`);
  });

  it('reports no nameserver when CoreDNS has no endpoints', () => {
    const local = demo();
    const deploy = local.cluster.store.resourceType('deployments.apps');
    const coredns = local.cluster.store.get(deploy, 'kube-system', 'coredns');
    local.cluster.store.update(deploy, 'kube-system', 'coredns', { ...coredns, spec: { ...(coredns.spec as object), replicas: 0 } } as never);
    local.cluster.clock.advance(60_000);
    expect(sh(local.exec, 'nslookup web')).toMatchObject({ out: ';; connection timed out; no servers could be reached\n', status: 1 });
    expect(sh(local.exec, 'curl -m 3 web')).toMatchObject({ tail: 'curl: (28) Resolving timed out after 3000 milliseconds\n', status: 28 });
  });

  it('writes resolv.conf and hosts as the kubelet does', () => {
    expect(sh(d.exec, 'cat /etc/resolv.conf').out).toBe('search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
    expect(sh(d.exec, 'cat /etc/hosts').out).toBe(
      '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n10.244.1.5\tclient\n',
    );
    expect(sh(d.exec, 'hostname; hostname -i').out).toBe('client\n10.244.1.5\n');
  });

  it('gives the Service environment variables of the namespace, as the kubelet does', () => {
    const ip = (d.cluster.store.get(d.cluster.store.resourceType('services'), 'default', 'web').spec as { clusterIP: string }).clusterIP;
    const env = sh(d.exec, 'env').out;
    expect(env).toContain(`WEB_SERVICE_HOST=${ip}\nWEB_SERVICE_PORT=80\nWEB_SERVICE_PORT_HTTP=80\nWEB_PORT=tcp://${ip}:80\nWEB_PORT_80_TCP=tcp://${ip}:80\nWEB_PORT_80_TCP_PROTO=tcp\nWEB_PORT_80_TCP_PORT=80\nWEB_PORT_80_TCP_ADDR=${ip}\n`);
    expect(env).toContain('KUBERNETES_SERVICE_HOST=10.96.0.1\n');
    expect(env).toContain('WEB_NODEPORT_SERVICE_HOST=');
    expect(env).not.toContain('KUBE_DNS_SERVICE_HOST');
    expect(env).toMatch(/^PATH=\S+\nHOSTNAME=client\n/);
    expect(sh(d.exec, 'printenv WEB_SERVICE_PORT').out).toBe('80\n');
  });

  it("gives the container's own env first: values, fieldRefs and $(VAR) references", () => {
    const pods = d.cluster.store.resourceType('pods');
    const env = [
      { name: 'MY_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'A', value: 'x' },
      { name: 'B', value: '$(A)-y' },
    ];
    d.cluster.store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'envy' }, spec: { enableServiceLinks: false, containers: [{ name: 'c', image: 'busybox', env }] } } as never, 'default');
    const out = sh(d.exec, 'env', 'envy').out;
    expect(out).toMatch(/^PATH=\S+\nHOSTNAME=envy\nMY_POD=envy\nMY_IP=10\.244\.\d+\.\d+\nA=x\nB=x-y\nKUBERNETES_SERVICE_HOST=10\.96\.0\.1\n/);
    // enableServiceLinks: false leaves only the kubernetes Service's variables.
    expect(out).not.toContain('WEB_SERVICE_HOST');
  });

  it('shows the pod network: ip addr, ip route; ping answers from pods, not from a ClusterIP', () => {
    expect(sh(d.exec, 'ip addr').out).toContain('inet 10.244.1.5/24 scope global eth0');
    expect(sh(d.exec, 'ip route').out).toBe('default via 10.244.1.1 dev eth0 \n10.244.1.0/24 dev eth0 scope link  src 10.244.1.5 \n');
    expect(sh(d.exec, 'ping -c 2 10.244.2.2')).toMatchObject({ status: 0, elapsedMs: 2000 });
    expect(sh(d.exec, 'ping -c 2 10.244.2.2').out).toContain('64 bytes from 10.244.2.2: seq=0 ttl=62 time=0.100 ms\n');
    const svc = sh(d.exec, 'ping -c 1 web');
    expect(svc.status).toBe(1);
    expect(svc.out).toContain('1 packets transmitted, 0 packets received, 100% packet loss');
  });

  it('runs iptables-save and conntrack -L only in hostNetwork pods', () => {
    expect(sh(d.exec, 'iptables-save')).toMatchObject({ err: 'sh: iptables-save: not found\n', status: 127 });
    const pods = d.cluster.store.resourceType('pods');
    const proxy = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'proxy' }, spec: { nodeName: 'kind-worker', hostNetwork: true, containers: [{ name: 'kube-proxy', image: 'kube-proxy' }] } };
    d.cluster.store.create(pods, proxy as never, 'kube-system');
    expect(sh(d.exec, 'hostname; hostname -i', 'proxy', 'kube-system').out).toBe('kind-worker\n172.18.0.3\n');
    const r = sh(d.exec, 'iptables-save -t nat | grep -c KUBE-SERVICES; conntrack -L >/dev/null', 'proxy', 'kube-system');
    expect(Number(r.out.trim())).toBeGreaterThan(0);
    expect(r.err).toMatch(/^conntrack v1\.4\.8 \(conntrack-tools\): \d+ flow entries have been shown\.\n$/);
  });

  it('filters conntrack -L by protocol, original and reply addresses and ports', () => {
    const pods = d.cluster.store.resourceType('pods');
    const proxy = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tracker' }, spec: { nodeName: 'kind-worker', hostNetwork: true, containers: [{ name: 'kube-proxy', image: 'kube-proxy' }] } };
    d.cluster.store.create(pods, proxy as never, 'kube-system');
    const webIP = sh(d.exec, 'dig +short web.default.svc.cluster.local').out.trim();
    expect(sh(d.exec, 'curl -s web').status).toBe(0);
    const all = sh(d.exec, 'conntrack -L', 'tracker', 'kube-system').out.trim().split('\n');
    const toWeb = sh(d.exec, `conntrack -L -p tcp -d ${webIP} --dport 80`, 'tracker', 'kube-system');
    const lines = toWeb.out.trim().split('\n');
    expect(lines).toEqual(Array(lines.length).fill(expect.stringMatching(new RegExp(`^tcp +6 \\d+ \\S+ src=\\S+ dst=${webIP.replace(/\./g, '\\.')} sport=\\d+ dport=80 `))));
    expect(toWeb.err).toBe(`conntrack v1.4.8 (conntrack-tools): ${lines.length} flow entries have been shown.\n`);
    expect(all.length).toBeGreaterThan(lines.length);
    const dns = sh(d.exec, 'conntrack -L --proto udp --orig-port-dst 53', 'tracker', 'kube-system').out;
    expect(dns).toMatch(/^udp +17 .* dport=53 /);
    expect(dns).not.toContain('tcp ');
    expect(sh(d.exec, 'conntrack -L -d 10.9.9.9', 'tracker', 'kube-system')).toMatchObject({ out: '', err: 'conntrack v1.4.8 (conntrack-tools): 0 flow entries have been shown.\n', status: 0 });
    expect(sh(d.exec, 'conntrack -L -n', 'tracker', 'kube-system')).toMatchObject({
      err: "conntrack v1.4.8 (conntrack-tools): kube-netsim's conntrack -L filters by -p, -s, -d, -r, -q, --sport and --dport only, not '-n'\n",
      status: 2,
    });
  });

  it('answers unknown commands with 127', () => {
    expect(sh(d.exec, 'foo')).toMatchObject({ err: 'sh: foo: not found\n', status: 127 });
  });

  it('follows a log line by line until the pod is deleted', () => {
    const r = sh(d.exec, 'curl -s web');
    const pod = r.out.trim();
    const { uid, container } = d.exec.logLines({ namespace: 'default', pod });
    const seen: string[] = [];
    let ended = false;
    d.exec.followLog(uid, container, false, (l) => seen.push(l), () => (ended = true));
    for (let i = 0; i < 12 && seen.length === 0; i++) sh(d.exec, 'curl -s web/followed');
    expect(seen[0]).toContain('"GET /followed HTTP/1.1" 200');
    expect(ended).toBe(false);
    d.cluster.store.delete(d.cluster.store.resourceType('pods'), 'default', pod);
    expect(ended).toBe(true);
    // Once gone, its log goes with it.
    expect(d.exec.logs.read(uid)).not.toEqual([]);
    d.cluster.store.delete(d.cluster.store.resourceType('pods'), 'default', pod, { gracePeriodSeconds: 0 });
    expect(d.exec.logs.read(uid)).toEqual([]);
  });

  it('answers an empty log for a pod not scheduled, and refuses to exec into it', () => {
    const pods = d.cluster.store.resourceType('pods');
    d.cluster.store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending' }, spec: { nodeSelector: { nope: 'x' }, containers: [{ name: 'c', image: 'busybox' }] } } as never, 'default');
    expect(d.exec.logLines({ namespace: 'default', pod: 'pending' }).lines).toEqual([]);
    expect(() => d.exec.shell({ namespace: 'default', pod: 'pending' })).toThrow('pod pending does not have a host assigned');
  });

  it('refuses pods and containers the API server would refuse', () => {
    expect(() => d.exec.shell({ namespace: 'default', pod: 'nope' })).toThrow('pods "nope" not found');
    expect(() => d.exec.shell({ namespace: 'default', pod: 'client', container: 'x' })).toThrow('container x is not valid for pod client');
  });
  describe('the kubernetes Service: a pod reaches the API server on kind-control-plane:6443', () => {
    it('connects through kube-proxy to kube-apiserver\'s host-network socket', () => {
      const r = d.traffic.send({ from: 'pod/default/client', to: '10.96.0.1:443', protocol: 'tcp', mode: 'sample', count: 1, sourcePort: 40000 });
      expect(r.outcomes[0]).toMatchObject({ result: 'delivered', destination: { pod: 'kube-system/kube-apiserver-kind-control-plane', node: 'kind-control-plane', ip: '172.18.0.2', port: 6443 } });
      expect(sh(d.exec, 'nc -zv kubernetes.default 443')).toMatchObject({ err: 'kubernetes.default (10.96.0.1:443) open\n', status: 0 });
    });

    it('answers /version to anyone over TLS, and 403 elsewhere, as a kind cluster answers system:anonymous', () => {
      const version = sh(d.exec, 'curl -sk https://kubernetes.default/version');
      expect(version.status).toBe(0);
      expect(JSON.parse(version.out)).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' });
      expect(version.out).toMatch(/^\{\n {2}"major": "1",\n/);
      expect(sh(d.exec, 'curl -sk https://kubernetes.default.svc/healthz').out).toBe('ok');
      const root = sh(d.exec, 'curl -sk https://kubernetes/');
      expect(JSON.parse(root.out)).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'forbidden: User "system:anonymous" cannot get path "/"',
        reason: 'Forbidden',
        details: {},
        code: 403,
      });
      expect(JSON.parse(sh(d.exec, 'curl -sk https://kubernetes.default/api/v1/namespaces/default/pods').out).message).toBe(
        'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"',
      );
      expect(JSON.parse(sh(d.exec, 'curl -sk https://10.96.0.1/apis/apps/v1/deployments/x').out).message).toBe(
        'deployments.apps "x" is forbidden: User "system:anonymous" cannot get resource "deployments" in API group "apps" at the cluster scope',
      );
      expect(sh(d.exec, 'curl -skf https://kubernetes/api')).toMatchObject({ status: 22, out: '' });
      expect(sh(d.exec, 'curl -sSkf https://kubernetes/api').err).toBe('curl: (22) The requested URL returned error: 403\n');
    });

    it("verifies the certificate as curl does: -k, or the service account's CA", () => {
      const unverified = sh(d.exec, 'curl -sS https://kubernetes.default/version');
      expect(unverified.status).toBe(60);
      expect(unverified.err).toMatch(/^curl: \(60\) SSL certificate problem: unable to get local issuer certificate\nMore details here: https:\/\/curl.se\/docs\/sslcerts.html\n/);
      expect(sh(d.exec, 'curl -s --cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt https://kubernetes.default/version').status).toBe(0);
    });

    it('answers plain HTTP on the TLS port with a 400, and a pod speaking TLS to nginx fails the handshake', () => {
      expect(sh(d.exec, 'curl -s http://kubernetes.default:443/')).toMatchObject({ out: 'Client sent an HTTP request to an HTTPS server.\n', status: 0 });
      expect(sh(d.exec, 'curl -sS https://web:80/').tail).toBe('curl: (35) OpenSSL/3.3.2: error:0A00010B:SSL routines::wrong version number\n');
      const wget = sh(d.exec, 'wget -qO- https://kubernetes.default/version');
      expect(wget.status).toBe(0);
      expect(wget.err).toBe('wget: note: TLS certificate validation not implemented\n');
      expect(JSON.parse(wget.out).gitVersion).toBe('v1.32.4');
      expect(sh(d.exec, 'wget -qO- https://kubernetes.default/api').err).toBe('wget: note: TLS certificate validation not implemented\nwget: server returned error: HTTP/1.1 403 Forbidden\n');
    });

    it("runs iptables-save in a kube-proxy pod: that node's rules, the kubernetes Service's included", () => {
      const proxies = d.cluster.store.list(d.cluster.store.resourceType('pods'), { namespace: 'kube-system' }).items.filter((p) => p.metadata.name.startsWith('kube-proxy-'));
      const onWorker = proxies.find((p) => (p.spec as { nodeName?: string }).nodeName === 'kind-worker')!;
      const r = sh(d.exec, 'iptables-save -t nat | grep -c -e "-A KUBE-SERVICES -d 10.96.0.1/32"', onWorker.metadata.name, 'kube-system');
      expect(r).toMatchObject({ out: '1\n', status: 0 });
      expect(sh(d.exec, 'hostname', onWorker.metadata.name, 'kube-system').out).toBe('kind-worker\n');
    });
  });
});
