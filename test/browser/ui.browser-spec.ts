/**
 * The browser UI (docs/ui.md) in Debian's Chromium, against the demo cluster:
 * open it, send a pod → Service trace, step through it, follow a rule, cross
 * nodes, break the Service, open a shared link. With UPDATE_SCREENSHOTS=1 the
 * screenshots go to docs/images/ and illustrate docs/ui.md. Needs dist/ui (`npm run build:ui`;
 * `npm test` builds it first).
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEMO, startListeningApp, type TestApp } from '../support/test-app';
import { launchChromium } from './support/chromium';
import { UiPage } from './support/ui-page';

jest.setTimeout(120_000);

// The specs' screenshots illustrate docs/ui.md. They go to docs/images only when asked
// (UPDATE_SCREENSHOTS=1 npm run test:browser), so an ordinary run leaves the tree clean.
// An ordinary run takes none: a screenshot asserts nothing, and Chromium's capture is the step that
// stalled once on a loaded CI machine.
const IMAGES = path.resolve(__dirname, '../../docs/images');
const shoot = async (target: { screenshot(options: { path: string }): Promise<unknown> }, name: string) => {
  if (process.env.UPDATE_SCREENSHOTS === '1') await target.screenshot({ path: path.join(IMAGES, name) });
};

interface PodInfo {
  name: string;
  node: string;
  ip: string;
}

describe('the browser UI on the demo cluster', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let webPods: PodInfo[];
  let page: Page;
  let ui: UiPage;
  const requested: string[] = [];

  beforeAll(async () => {
    t = await startListeningApp(DEMO);
    base = `http://127.0.0.1:${t.port}`;
    const list = (await (await fetch(`${base}/api/v1/namespaces/default/pods?labelSelector=app%3Dweb`)).json()) as {
      items: { metadata: { name: string }; spec: { nodeName: string }; status: { podIP: string } }[];
    };
    webPods = list.items.map((p) => ({ name: p.metadata.name, node: p.spec.nodeName, ip: p.status.podIP }));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('request', (r) => requested.push(r.url()));
    ui = new UiPage(page);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const client = () => webPods.find((p) => p.node === 'kind-worker')!;
  const remote = () => webPods.find((p) => p.node === 'kind-worker2')!;

  it('opens on the cluster: nodes with their pods, Services with their endpoints', async () => {
    await page.goto(base);
    await page.waitForSelector('.node-card[data-node=kind-worker2] li[data-pod]');
    expect(await page.locator('.node-card').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-node')))).toEqual(['kind-control-plane', 'kind-worker', 'kind-worker2']);
    expect(await page.locator(`.node-card[data-node=kind-worker2] li[data-pod="default/${remote().name}"]`).innerText()).toContain(remote().ip);
    const endpoints = await page.locator('li[data-service="default/web"] [data-testid=endpoints]').innerText();
    for (const p of webPods) expect(endpoints).toContain(p.ip);
    // Offline: everything the page loaded came from the emulator.
    expect(requested.filter((url) => !url.startsWith(`${base}/`) && !url.startsWith('data:'))).toEqual([]);
    expect(requested).toEqual(expect.arrayContaining([`${base}/`, `${base}/ui/app.js`, `${base}/ui/style.css`]));
  });

  it('sends a pod → Service trace: the explanation at the top, each outcome with its probability', async () => {
    await ui.send(`pod/default/${client().name}`, 'web:80');
    expect(await ui.text('explanation')).toMatch(/^Delivered to pod default\/web-/);
    const outcomes = await page.locator('[data-testid=outcomes] li').allInnerTexts();
    expect(outcomes).toHaveLength(3);
    for (const o of outcomes) expect(o).toMatch(/^33\.33% Delivered pod default\/web-/);
    expect(new URL(page.url()).searchParams.get('from')).toBe(`pod/default/${client().name}`);
  });

  it('steps rule by rule to the DNAT: the rule highlighted in the node’s table, the rewritten destination highlighted', async () => {
    await page.locator('[data-testid=outcomes] li', { hasText: remote().ip }).click();
    await ui.pressUntil('j', async () => (await ui.ruleAction()).startsWith('→ DNAT to'));
    const rule = await ui.text('rule-text');
    expect(rule).toMatch(new RegExp(`^-A KUBE-SEP-\\w+ -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination ${remote().ip.replace(/\./g, '\\.')}:8080$`));
    expect(await ui.text('rule-hook')).toBe('PREROUTING');
    // The packet: the destination rewritten from the ClusterIP to the pod, and highlighted.
    const destination = page.locator('[data-testid=packet] tr[data-field=destination]');
    expect(await destination.getAttribute('class')).toBe('changed');
    expect(await destination.locator('.value').innerText()).toBe(remote().ip);
    expect(await destination.locator('.was').innerText()).toMatch(/\(was 10\.\d+\.\d+\.\d+\)/);
    expect(await page.locator('[data-testid=packet] tr[data-field=destinationPort] .value').innerText()).toBe('8080');
    // The rule table of kind-worker shows that very line as the current one.
    expect(await page.locator('[data-testid=iptables]').getAttribute('data-node')).toBe('kind-worker');
    expect(await page.locator('[data-testid=iptables] div.current').innerText()).toBe(rule);
    expect(await ui.text('conntrack')).toMatch(new RegExp(`^conntrack: tcp src=${client().ip.replace(/\./g, '\\.')} dst=10\\.\\S+ sport=40000 dport=80 src=${remote().ip.replace(/\./g, '\\.')} `));
    await page.evaluate('scrollTo(0, 0)');
    await shoot(page, 'ui-dnat-step.png');
    await shoot(page.locator('[data-testid=rule-tables]'), 'ui-rule-table.png');
    // Back one step with k: the destination is the Service's again.
    await page.keyboard.press('k');
    expect(await page.locator('[data-testid=packet] tr[data-field=destination] .value').innerText()).toMatch(/^10\.(9[6-9]|1[01]\d)\./);
  });

  it('jumps from a highlighted rule in the table to its step', async () => {
    const at = await ui.stepPosition();
    await page.locator('[data-testid=iptables] div.hit', { hasText: 'KUBE-SERVICES -d' }).first().click();
    expect(await ui.stepPosition()).not.toBe(at);
    expect(await ui.text('rule-text')).toMatch(/^-A KUBE-SERVICES -d 10\.\S+\/32 -p tcp -m comment --comment "default\/web:http cluster IP"/);
  });

  it('crosses from kind-worker to kind-worker2 through the VXLAN tunnel, hop by hop', async () => {
    await page.keyboard.press('Home');
    await ui.pressUntil('J', async () => (await ui.text('step-where')).startsWith('kind-worker: VXLAN encapsulation'));
    expect(await ui.text('encapsulation')).toMatch(/^leaves encapsulated: VXLAN VNI 1, outer UDP 172\.18\.0\.3:\d+ → 172\.18\.0\.4:8472/);
    await page.keyboard.press('J');
    expect(await ui.text('step-place')).toBe('kind-worker2');
    expect(await ui.text('step-where')).toMatch(/^kind-worker2: VXLAN packet in eth0/);
    const crossing = page.locator('[data-testid=topology] g.link.crossing');
    expect(await crossing.getAttribute('data-from')).toBe('node:kind-worker');
    expect(await crossing.getAttribute('data-to')).toBe('node:kind-worker2');
    expect(await page.locator('[data-testid=topology] g.vertex.current').getAttribute('data-place')).toBe('node:kind-worker2');
    await page.evaluate('scrollTo(0, 0)');
    await shoot(page, 'ui-node-crossing.png');
    // The reply steps back the same way: its last step reaches the client from the Service address.
    await page.keyboard.press('End');
    expect(await page.locator('.direction').innerText()).toBe('reply');
    expect(await page.locator('[data-testid=packet] tr[data-field=destination] .value').innerText()).toBe(client().ip);
    expect(await page.locator('[data-testid=packet] tr[data-field=sourcePort] .value').innerText()).toBe('80');
  });

  it('opens a shared link on the same trace, outcome and step', async () => {
    await page.keyboard.press('Home');
    await ui.pressUntil('j', async () => (await ui.ruleAction()).startsWith('→ DNAT to'));
    const link = page.url();
    expect(new URL(link).searchParams.get('step')).toBe(String((await ui.stepPosition()) - 1));
    const rule = await ui.text('rule-text');
    const other = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await other.goto(link);
      await other.waitForSelector('[data-testid=rule-text]');
      const shared = new UiPage(other);
      expect(await shared.text('rule-text')).toBe(rule);
      expect(await shared.stepPosition()).toBe(await ui.stepPosition());
      expect(await other.locator('[data-testid=outcomes] li.selected').innerText()).toContain(remote().ip);
      // Once the cluster is listed, the trace is not taken for a stale one.
      await other.waitForSelector('.node-card[data-node=kind-worker2] li[data-pod]');
      await other.locator('[data-testid=actions] [data-deployment="default/web"]').waitFor();
      expect(await other.locator('[data-testid=stale]').count()).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('breaks the Service (web scaled to 0) and the explanation changes', async () => {
    await page.click('button[aria-label="scale default/web to 0"]');
    // The pods terminate on the simulated clock: advance it from the UI.
    await page.fill('input[aria-label=seconds]', '41');
    await page.click('.actions form button[type=submit]');
    await page.locator('li[data-service="default/web"] [data-testid=endpoints]', { hasText: /^no endpoints$/ }).waitFor();
    expect(await page.locator('[data-testid=stale]').innerText()).toContain('The cluster changed since this trace');
    // The web pods are gone, the client with them: send from db-0 (on kind-worker2).
    await ui.send('pod/default/db-0', 'web:80');
    await page.locator('[data-testid=explanation]', { hasText: /^(?!Delivered)/ }).waitFor();
    const explanation = await ui.text('explanation');
    // The verdict says why, naming the Deployment that was scaled to zero.
    expect(explanation).toMatch(/^default\/web's selector app=web matches no pod: Deployment default\/web is scaled to 0 replicas/);
    expect(explanation).toContain('has no endpoints');
    expect(await page.locator('[data-testid=outcomes] li').allInnerTexts()).toEqual([expect.stringMatching(/^100% \S+ /)]);
    await page.evaluate('scrollTo(0, 0)');
    await shoot(page, 'ui-no-endpoints.png');
  });

  it("stops a node's kubelet: after 40 s of simulated time the node is NotReady", async () => {
    await page.click('[data-kubelet=kind-worker] button:text-is("stop")');
    await page.locator('[data-testid=notice]', { hasText: 'done: stop the kubelet of kind-worker' }).waitFor();
    await page.fill('input[aria-label=seconds]', '41');
    await page.click('.actions form button[type=submit]');
    await page.locator('.node-card[data-node=kind-worker] .badge', { hasText: 'NotReady (Unknown)' }).waitFor();
    await page.click('[data-kubelet=kind-worker] button:text-is("start")');
    await page.locator('.node-card[data-node=kind-worker] .badge', { hasText: /^Ready$/ }).waitFor();
  });
});
