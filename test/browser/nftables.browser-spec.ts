/**
 * The browser UI (docs/ui.md) in Debian's Chromium, on the demo cluster with kind-worker's
 * kube-proxy in nftables mode (docs/nftables.md): a trace through kind-worker steps through
 * kube-proxy's nft rules (table `ip kube-proxy`), and the node's rule tables show its nft
 * ruleset beside its iptables, the steps' rules highlighted in it. Needs dist/ui (`npm run build:ui`).
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEMO, startListeningApp, type TestApp } from '../support/test-app';
import { launchChromium } from './support/chromium';
import { UiPage } from './support/ui-page';

jest.setTimeout(120_000);

const IMAGES = path.resolve(__dirname, '../../docs/images');

describe('the browser UI with a node in nftables mode', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let page: Page;
  let ui: UiPage;
  let client: string;
  let remote: { name: string; ip: string };

  beforeAll(async () => {
    t = await startListeningApp(DEMO);
    base = `http://127.0.0.1:${t.port}`;
    const put = await fetch(`${base}/netsim/v1/nodes/kind-worker/kube-proxy/config`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ mode: 'nftables', clusterCIDR: '10.244.0.0/16', nftables: { minSyncPeriod: '0s' } }),
    });
    expect(put.status).toBe(200);
    const list = (await (await fetch(`${base}/api/v1/namespaces/default/pods?labelSelector=app%3Dweb`)).json()) as {
      items: { metadata: { name: string }; spec: { nodeName: string }; status: { podIP: string } }[];
    };
    client = list.items.find((p) => p.spec.nodeName === 'kind-worker')!.metadata.name;
    const r = list.items.find((p) => p.spec.nodeName === 'kind-worker2')!;
    remote = { name: r.metadata.name, ip: r.status.podIP };
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    ui = new UiPage(page);
    await page.goto(base);
    await page.waitForSelector('.node-card[data-node=kind-worker2] li[data-pod]');
    await ui.send(`pod/default/${client}`, 'web:80');
    await page.locator('[data-testid=outcomes] li', { hasText: remote.ip }).click();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('steps through kube-proxy’s nft rules to the DNAT: table ip kube-proxy, the endpoint’s chain, the rule', async () => {
    await ui.pressUntil('j', async () => (await ui.ruleAction()).startsWith('→ DNAT to'));
    expect(await page.locator('[data-testid=step-rule] .hook').innerText()).toMatch(/^PREROUTING · table ip kube-proxy · chain endpoint-\w{8}-default\/web\/tcp\/http__10\.244\.\d+\.\d+\/8080 · rule \d+$/);
    expect(await ui.text('rule-text')).toMatch(new RegExp(`^meta l4proto tcp dnat to ${remote.ip.replace(/\./g, '\\.')}:8080 # handle \\d+$`));
    expect(await page.locator('[data-testid=packet] tr[data-field=destination]').getAttribute('class')).toBe('changed');
    expect(await page.locator('[data-testid=packet] tr[data-field=destination] .value').innerText()).toBe(remote.ip);
    // The step list names the nft steps as it names iptables ones.
    expect(await page.locator('[data-testid=step-list] li', { hasText: 'PREROUTING · ip kube-proxy · services #1: vmap @service-ips: goto service-' }).count()).toBe(1);
  });

  it('shows the node’s nft ruleset beside its iptables, the DNAT rule the current line and the other nft steps highlighted', async () => {
    expect(await page.locator('[data-testid=nftables]').getAttribute('data-node')).toBe('kind-worker');
    expect(await page.locator('[data-testid=nftables-title]').innerText()).toContain('nft list ruleset');
    const nft = page.locator('[data-testid=nftables]');
    expect(await nft.locator('div').first().innerText()).toBe('table ip kube-proxy {');
    expect(await nft.locator('div.current').innerText()).toBe(`\t\tmeta l4proto tcp dnat to ${remote.ip}:8080`);
    const hits = await nft.locator('div.hit').allInnerTexts();
    expect(hits).toEqual(expect.arrayContaining(['\t\tip daddr . meta l4proto . th dport vmap @service-ips', expect.stringMatching(/^\t\tnumgen random mod 3 vmap \{ 0 : goto endpoint-/), '\t\tjump services']));
    // Its iptables are the kubelet's and flannel's: no kube-proxy chain, and none of them is the current line.
    const iptables = page.locator('[data-testid=iptables]');
    expect(await iptables.getAttribute('data-node')).toBe('kind-worker');
    expect(await iptables.innerText()).not.toContain('KUBE-SERVICES');
    expect(await iptables.locator('div.current').count()).toBe(0);
    if (process.env.UPDATE_SCREENSHOTS === '1') await page.locator('[data-testid=rule-tables]').screenshot({ path: path.join(IMAGES, 'ui-nftables-rules.png') });
  });

  it('jumps from a highlighted nft rule to its step', async () => {
    await page.locator('[data-testid=nftables] div.hit', { hasText: 'vmap @service-ips' }).click();
    // The page renders the step after the click's event: wait for it.
    await page.locator('[data-testid=step-rule] .hook', { hasText: 'chain services ·' }).waitFor();
    expect(await page.locator('[data-testid=step-rule] .hook').innerText()).toBe('PREROUTING · table ip kube-proxy · chain services · rule 1');
    expect(await ui.text('rule-text')).toMatch(/^ip daddr \. meta l4proto \. th dport vmap @service-ips # handle \d+$/);
    expect(await page.locator('[data-testid=nftables] div.current').innerText()).toBe('\t\tip daddr . meta l4proto . th dport vmap @service-ips');
  });

  it('shows only iptables on a node in iptables mode, the step’s rule highlighted there', async () => {
    await ui.pressUntil('J', async () => (await ui.text('step-place')) === 'kind-worker2');
    await ui.pressUntil('j', async () => (await page.locator('[data-testid=iptables] div.current').count()) > 0, 40);
    expect(await page.locator('[data-testid=iptables]').getAttribute('data-node')).toBe('kind-worker2');
    expect(await page.locator('[data-testid=iptables] div.current').innerText()).toBe(await ui.text('rule-text'));
    expect(await page.locator('[data-testid=nftables]').count()).toBe(0);
  });
});
