/**
 * bench/ui: the browser UI in Debian's Chromium (headless) against the demo
 * cluster, over real HTTP on 127.0.0.1, the UI built in dist/ui
 * (`npm run build:ui` first). Figures, nothing asserted:
 * - first paint: the page's first contentful paint, and the cluster shown
 *   (nodes and pods painted from the watches), from navigation start, on a
 *   fresh page each time (targets: under 1 s);
 * - answer to trace: from the traffic answer's arrival (parsed) to the trace
 *   shown (explanation, outcomes, topology laid out by dagre, steps, rule
 *   table), a pod -> web:80 trace (3 outcomes) and the same with web scaled
 *   to 50 replicas (50 outcomes; target: under 300 ms).
 */
import { startListeningApp, DEMO } from '../test/support/test-app';
import { launchChromium } from '../test/browser/support/chromium';

function stats(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `median ${q(0.5).toFixed(1)} ms, p90 ${q(0.9).toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms (n=${s.length})`;
}

async function main(): Promise<void> {
  const t = await startListeningApp(DEMO);
  const base = `http://127.0.0.1:${t.port}`;
  const browser = await launchChromium();
  try {
    const fcp: number[] = [];
    const shown: number[] = [];
    const html: number[] = [];
    const script: number[] = [];
    for (let i = 0; i < 12; i++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(base);
      await page.waitForSelector('.node-card li[data-pod]');
      const [paint, cluster, page0, js] = (await page.evaluate(`[
        performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
        performance.getEntriesByName('netsim:cluster-shown')[0]?.startTime ?? NaN,
        performance.getEntriesByType('navigation')[0].responseStart,
        performance.getEntriesByType('resource').find((e) => e.name.endsWith('/ui/app.js'))?.responseEnd ?? NaN,
      ]`)) as [number, number, number, number];
      // The first page warms the server (JIT, first watch) and the browser: not counted.
      if (i > 0) {
        fcp.push(paint);
        shown.push(cluster);
        html.push(page0);
        script.push(js);
      }
      await page.close();
    }
    // How loaded the machine is: the page is 363 bytes from memory, its first byte should take ~1 ms.
    console.log(`the page's first byte (server):    ${stats(html)}`);
    console.log(`app.js received:                   ${stats(script)}`);
    console.log(`first contentful paint:            ${stats(fcp)}`);
    console.log(`cluster shown (nodes, pods):       ${stats(shown)}`);

    const pods = (await (await fetch(`${base}/api/v1/namespaces/default/pods?labelSelector=app%3Dweb`)).json()) as { items: { metadata: { name: string } }[] };
    const client = `pod/default/${pods.items[0].metadata.name}`;
    const traceTimes = async (label: string, outcomes: number) => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${base}/?from=${encodeURIComponent(client)}&to=web%3A80`);
      await page.locator('[data-testid=outcomes] li').nth(outcomes - 1).waitFor();
      const times: number[] = [];
      let bytes = 0;
      page.on('response', (r) => {
        if (r.url().includes('/netsim/v1/traffic')) void r.body().then((b) => (bytes = b.length));
      });
      // The same request sent again from the page's Send button: the server answers it from its
      // cache, and the page lays out and draws the whole trace again.
      for (let i = 0; i < 11; i++) {
        await page.evaluate(`performance.clearMarks('netsim:answer'); performance.clearMeasures('netsim:answer-to-trace')`);
        await page.click('[data-testid=send]');
        await page.waitForFunction(`performance.getEntriesByName('netsim:answer-to-trace').length > 0`);
        const ms = (await page.evaluate(`performance.getEntriesByName('netsim:answer-to-trace')[0].duration`)) as number;
        if (i > 0) times.push(ms);
      }
      await page.close();
      console.log(`answer to trace shown, ${label} (${bytes} B answer): ${stats(times)}`);
    };
    await traceTimes('web:80, 3 outcomes', 3);
    const scale = await fetch(`${base}/apis/apps/v1/namespaces/default/deployments/web/scale`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ spec: { replicas: 50 } }),
    });
    if (!scale.ok) throw new Error(`scale: ${scale.status}`);
    await traceTimes('web:80 with 50 replicas, 50 outcomes', 50);
  } finally {
    await browser.close();
    await t.close();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
