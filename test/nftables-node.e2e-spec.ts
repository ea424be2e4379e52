import request from 'supertest';
import { kubectlAt } from './support/kubectl';
import { DEMO, startListeningApp, TestApp } from './support/test-app';

/**
 * A node of the demo cluster switched to nftables mode, seen with the real
 * kubectl: `nft list ruleset` in its kube-proxy pod prints the table
 * GET /netsim/v1/nodes/{node}/nftables answers, and `iptables-save` no longer
 * shows kube-proxy's chains (docs/nftables.md).
 */
describe('a node in nftables mode, through kubectl exec (e2e)', () => {
  jest.setTimeout(60000);
  let t: TestApp;
  const kubectl = kubectlAt(() => t.port);

  beforeAll(async () => {
    t = await startListeningApp(DEMO);
  });
  afterAll(() => t.close());

  it('prints the kube-proxy table with nft list ruleset in the kube-proxy pod, and nothing of iptables mode with iptables-save', async () => {
    const pod = (await kubectl('get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-proxy', '--field-selector', 'spec.nodeName=kind-worker', '-o', 'jsonpath={.items[0].metadata.name}')).stdout;
    const before = await kubectl('exec', '-n', 'kube-system', pod, '--', 'nft', 'list', 'ruleset');
    expect(before).toEqual({ stdout: '', stderr: '', code: 0 });
    await request(t.http).put('/netsim/v1/nodes/kind-worker/kube-proxy/config').send({ mode: 'nftables', clusterCIDR: '10.244.0.0/16', nftables: { minSyncPeriod: '0s' } }).expect(200);
    const list = await kubectl('exec', '-n', 'kube-system', pod, '--', 'nft', 'list', 'ruleset');
    expect(list.code).toBe(0);
    expect(list.stdout).toBe((await request(t.http).get('/netsim/v1/nodes/kind-worker/nftables').expect(200)).text);
    expect(list.stdout).toContain('chain services {\n\t\tip daddr . meta l4proto . th dport vmap @service-ips\n');
    const table = await kubectl('exec', '-n', 'kube-system', pod, '--', 'nft', 'list', 'table', 'ip', 'kube-proxy');
    expect(table.stdout).toBe(list.stdout);
    const missing = await kubectl('exec', '-n', 'kube-system', pod, '--', 'nft', 'list', 'table', 'ip6', 'kube-proxy');
    expect(missing.code).toBe(1);
    // As nft 1.0.6 says it: the command, and carets under the name it did not find.
    expect(missing.stderr).toContain(`Error: No such file or directory\nlist table ip6 kube-proxy\n${' '.repeat('list table ip6 '.length)}${'^'.repeat('kube-proxy'.length)}\n`);
    const save = await kubectl('exec', '-n', 'kube-system', pod, '--', 'iptables-save', '-t', 'nat');
    expect(save.stdout).not.toContain('KUBE-SERVICES');
    // A client in a pod reaches a Service through the node's nft rules.
    expect((await kubectl('run', 'client', '--image=busybox', '--overrides', '{"spec":{"nodeName":"kind-worker"}}', '--', 'sleep', '3600')).code).toBe(0);
    const curl = await kubectl('exec', 'client', '--', 'curl', '-sS', 'web');
    expect(curl.stderr).toBe('');
    expect(curl.code).toBe(0);
  });

  it('lists the affinity element a client\'s connection added, with the time it has left, as the kernel lists a dynamic set', async () => {
    const pod = (await kubectl('get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-proxy', '--field-selector', 'spec.nodeName=kind-worker', '-o', 'jsonpath={.items[0].metadata.name}')).stdout;
    expect((await kubectl('patch', 'service', 'web', '-p', '{"spec":{"sessionAffinity":"ClientIP"}}')).code).toBe(0);
    const clientIp = (await kubectl('get', 'pod', 'client', '-o', 'jsonpath={.status.podIP}')).stdout;
    expect((await kubectl('exec', 'client', '--', 'curl', '-sS', 'web')).code).toBe(0);
    const list = (await kubectl('exec', '-n', 'kube-system', pod, '--', 'nft', 'list', 'ruleset')).stdout;
    // Each affinity set's block up to its first "}" (its element list's end, when it has one).
    const sets = [...list.matchAll(/\tset (affinity-\S+) \{\n([^}]*)\}/g)];
    expect(sets.length).toBeGreaterThan(0);
    // One endpoint's set holds the client, for the rest of the Service's 3 h; the others are empty.
    const holding = sets.filter((m) => m[2].includes('elements'));
    expect(holding).toHaveLength(1);
    expect(holding[0][2]).toMatch(new RegExp(`\\t\\ttimeout 3h\\n\\t\\telements = \\{ ${clientIp.replace(/\./g, '\\.')} expires (3h|2h[0-9hms]+) $`));
    expect((await request(t.http).get('/netsim/v1/nodes/kind-worker/nftables').expect(200)).text).toBe(list);
  });
});
