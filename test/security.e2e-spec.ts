import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import WebSocket from 'ws';
import { startMain, MainProcess } from './support/main-process';
import { DEMO, startListeningApp, startTestApp, TestApp } from './support/test-app';

/**
 * Safe by default (docs/security.md): loopback only unless BIND_ADDRESS says
 * otherwise, and with TOKEN_AUTH_FILE every request needs a valid bearer
 * token (401 Unauthorized before routing and before the body is read), served
 * over HTTPS so that kubectl sends it. The kubectl tests run the real entry
 * point as a process, as `npm start` does, and the real kubectl.
 */
const TOKENS = 'fixtures/auth/tokens.csv';
const TOKEN = '31ada4fd-adec-460c-809a-9e56ceb75269';
const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };
const run = promisify(execFile);

describe('bearer tokens (TOKEN_AUTH_FILE)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ...DEMO, TOKEN_AUTH_FILE: TOKENS });
  }, 60_000);
  afterAll(() => t.close());

  it("refuses a request without a token with the API server's 401 Status", async () => {
    const res = await request(t.http).get('/api/v1/namespaces/default/services').expect(401);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual(UNAUTHORIZED);
  });

  it('refuses a wrong token, another scheme, and a path that does not exist, before routing', async () => {
    expect((await request(t.http).get('/api/v1/pods').set('Authorization', `Bearer ${TOKEN}x`).expect(401)).body).toEqual(UNAUTHORIZED);
    expect((await request(t.http).get('/api/v1/pods').set('Authorization', `Basic ${Buffer.from('alice:pw').toString('base64')}`).expect(401)).body).toEqual(UNAUTHORIZED);
    expect((await request(t.http).get('/no/such/path').expect(401)).body).toEqual(UNAUTHORIZED);
    expect((await request(t.http).get('/docs-json').expect(401)).body).toEqual(UNAUTHORIZED);
  });

  it('answers a valid token of any record, the scheme in any letter case', async () => {
    await request(t.http).get('/api/v1/namespaces/default/services').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    await request(t.http).get('/api/v1/nodes').set('Authorization', 'bearer e2e-second-token').expect(200);
  });

  it('answers the health checks without credentials, but not with a wrong token', async () => {
    for (const path of ['/healthz', '/livez', '/readyz', '/readyz?verbose']) {
      expect((await request(t.http).get(path).expect(200)).text).toMatch(/^(ok|\[\+\]ping ok)/);
    }
    expect((await request(t.http).get('/healthz').set('Authorization', 'Bearer wrong').expect(401)).body).toEqual(UNAUTHORIZED);
  });

  it('refuses before reading the body: a bad body without a token is 401, not 400, and changes nothing', async () => {
    const res = await request(t.http).post('/api/v1/namespaces/default/services').set('Content-Type', 'application/json').send('{not json').expect(401);
    expect(res.body).toEqual(UNAUTHORIZED);
    await request(t.http)
      .post('/api/v1/namespaces').set('Content-Type', 'application/json')
      .send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sneaky' } })
      .expect(401);
    await request(t.http).get('/api/v1/namespaces/sneaky').set('Authorization', `Bearer ${TOKEN}`).expect(404);
  });
});

describe('an unauthenticated body is never read', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startListeningApp({ TOKEN_AUTH_FILE: TOKENS });
  });
  afterAll(() => t.close());

  it('answers 401 to the headers of a 100 MB upload and closes the connection, without waiting for the body', async () => {
    const socket = connect(t.port!, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      'POST /netsim/v1/apply HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/yaml\r\n' +
        `Content-Length: ${100 * 1024 * 1024}\r\n\r\napiVersion: v1\n`,
    );
    await closed; // only 15 bytes of the body were ever sent: an answer means it was not awaited
    expect(answer).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(answer.slice(answer.indexOf('\r\n\r\n') + 4)).toBe(JSON.stringify(UNAUTHORIZED));
  });
});

describe('exec over WebSocket with tokens', () => {
  let t: TestApp;
  let pod: string;
  beforeAll(async () => {
    t = await startListeningApp({ ...DEMO, TOKEN_AUTH_FILE: TOKENS });
    pod = (await request(t.http).get('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb').set('Authorization', `Bearer ${TOKEN}`).expect(200)).body.items[0].metadata.name;
  }, 60_000);
  afterAll(() => t.close());

  /** Opens kubectl's exec WebSocket; resolves with the HTTP answer if the upgrade is refused, or 'open' and what the command wrote. */
  const exec = (authorization?: string) =>
    new Promise<{ status: number; body: string } | { open: true; stdout: string }>((resolve, reject) => {
      const url = `ws://127.0.0.1:${t.port}/api/v1/namespaces/default/pods/${pod}/exec?command=echo&command=hi&stdout=true&stderr=true`;
      const ws = new WebSocket(url, ['v5.channel.k8s.io'], { headers: authorization ? { Authorization: authorization } : {} });
      let stdout = '';
      ws.on('unexpected-response', (req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      ws.on('message', (data: Buffer) => {
        if (data[0] === 1) stdout += data.subarray(1).toString();
      });
      ws.on('close', () => resolve({ open: true, stdout }));
      ws.on('error', (e) => (e.message.startsWith('Unexpected server response') ? undefined : reject(e)));
    });

  it('refuses the upgrade without a valid token with the 401 Status, before anything runs', async () => {
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, 'Basic YWxpY2U6cHc=']) {
      const answer = await exec(authorization);
      expect(answer).toEqual({ status: 401, body: JSON.stringify(UNAUTHORIZED) });
    }
  });

  it('closes the connection after refusing an upgrade, as it closes any refused request', async () => {
    const socket = connect(t.port!, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      `GET /api/v1/namespaces/default/pods/${pod}/exec?command=ls&stdout=true HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n',
    );
    await closed; // the client never closes: only the server can
    expect(answer).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(answer.slice(answer.indexOf('\r\n\r\n') + 4)).toBe(JSON.stringify(UNAUTHORIZED));
  });

  it('runs the command for a valid token', async () => {
    expect(await exec(`Bearer ${TOKEN}`)).toEqual({ open: true, stdout: 'hi\n' });
  });
});

describe('no tokens configured', () => {
  it('answers without credentials, as before', async () => {
    const t = await startTestApp();
    try {
      await request(t.http).get('/api/v1/namespaces').expect(200);
    } finally {
      await t.close();
    }
  });
});

/** Is ::1 usable on this host? */
function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
}

function get(host: string, port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let answer = '';
    socket.on('data', (d) => (answer += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  });
}

describe('kube-netsim started as npm start starts it', () => {
  const env = { KUBECONFIG: path.join(tmpdir(), 'kube-netsim-no-kubeconfig') }; // no user's kubeconfig
  const kubectl = async (...args: string[]) => (await run('kubectl', args, { timeout: 30000, env: { ...process.env, ...env } })).stdout;
  const kubectlFails = async (...args: string[]) => {
    try {
      await run('kubectl', args, { timeout: 30000, env: { ...process.env, ...env } });
    } catch (e) {
      return (e as { stderr: string }).stderr;
    }
    throw new Error(`kubectl ${args.join(' ')} succeeded, expected it to fail`);
  };

  describe('by default', () => {
    let main: MainProcess;
    beforeAll(async () => {
      main = await startMain({ ...DEMO, DATA_DIR: 'none' });
    }, 90000);
    afterAll(() => main?.stop());

    it('listens on 127.0.0.1 and ::1 (or says it has no IPv6), plain HTTP, and says so', async () => {
      const v6 = await ipv6Loopback();
      expect(main.line).toContain(`listening on http://localhost:${main.port} (127.0.0.1:${main.port}${v6 ? `, [::1]:${main.port}` : ''})`);
      expect(await get('127.0.0.1', main.port, '/healthz')).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
      if (v6) expect(await get('::1', main.port, '/healthz')).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
      else expect(main.stderr()).toContain('the IPv6 loopback address ::1 is not available on this host: serving 127.0.0.1 only');
      expect(main.stderr()).not.toContain('warning');
    });

    it("serves the README tour's kubectl --server http://localhost:PORT", async () => {
      expect(await kubectl('--server', `http://localhost:${main.port}`, 'get', 'nodes')).toMatch(/^kind-worker\s+Ready/m);
    }, 30000);

    it('serves kubectl exec over WebSocket from the real entry point (no SPDY fallback)', async () => {
      const server = `http://localhost:${main.port}`;
      const pod = (await kubectl('--server', server, 'get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
      expect(await kubectl('--server', server, 'exec', pod, '--', 'hostname')).toBe(`${pod}\n`);
    }, 30000);
  });

  describe('with TOKEN_AUTH_FILE', () => {
    let main: MainProcess;
    let dataDir: string;
    beforeAll(async () => {
      dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'kube-netsim-security-')), 'data');
      main = await startMain({ ...DEMO, TOKEN_AUTH_FILE: TOKENS, DATA_DIR: dataDir });
    }, 90000);
    afterAll(() => {
      main?.stop();
      rmSync(path.dirname(dataDir), { recursive: true, force: true });
    });
    const server = () => `https://127.0.0.1:${main.port}`;
    const ca = () => path.join(dataDir, 'apiserver.crt');

    it('serves HTTPS and prints where its kubeconfig is', () => {
      expect(main.line).toContain(`listening on https://localhost:${main.port} (`);
      expect(main.line).toContain(', bearer tokens required (2) with ');
      expect(main.line).toContain(`; kubectl --kubeconfig ${path.join(dataDir, 'kubeconfig')};`);
    });

    it('writes a kubeconfig only its owner can read, holding the first token and the certificate', () => {
      const file = path.join(dataDir, 'kubeconfig');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const text = readFileSync(file, 'utf8');
      expect(text).toContain(`server: "https://127.0.0.1:${main.port}"`);
      expect(text).toContain(`token: "${TOKEN}"`);
      expect(text).toContain(`certificate-authority-data: ${Buffer.from(readFileSync(ca(), 'utf8')).toString('base64')}`);
    });

    it('works with kubectl --kubeconfig <the written file>', async () => {
      expect(await kubectl('--kubeconfig', path.join(dataDir, 'kubeconfig'), 'get', 'nodes')).toMatch(/^kind-control-plane\s+Ready\s+control-plane/m);
    }, 30000);

    it('works with kubectl --token, watches included', async () => {
      const base = ['--server', server(), '--certificate-authority', ca()];
      expect(await kubectl(...base, '--token', 'e2e-second-token', 'get', 'svc', 'kubernetes')).toMatch(/^kubernetes\s+ClusterIP\s+10\.96\.0\.1\s/m);
      const watcher = spawn('kubectl', [...base, '--token', TOKEN, 'get', 'svc', 'web', '-w', '--output-watch-events', '--request-timeout=20s'], {
        env: { ...process.env, ...env },
      });
      let seen = '';
      watcher.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
      try {
        await waitFor(() => /^ADDED\s+web\s/m.test(seen));
        await kubectl(...base, '--token', TOKEN, 'label', 'svc', 'web', 'watched=yes');
        await waitFor(() => /^MODIFIED\s+web\s/m.test(seen));
      } finally {
        watcher.kill();
      }
    }, 30000);

    it("kubectl auth whoami names the token's user (docs/cluster.md)", async () => {
      const base = ['--server', server(), '--certificate-authority', ca()];
      const out = await kubectl(...base, '--token', TOKEN, 'auth', 'whoami');
      expect(out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/))).toEqual([
        ['ATTRIBUTE', 'VALUE'],
        ['Username', 'alice'],
        ['UID', '1001'],
        ['Groups', '[system:masters developers system:authenticated]'],
      ]);
    }, 30000);

    it('refuses kubectl with a wrong token, or with credentials that are not a token', async () => {
      const base = ['--server', server(), '--certificate-authority', ca()];
      expect(await kubectlFails(...base, '--token', 'not-a-token', 'get', 'pods')).toContain('error: You must be logged in to the server (Unauthorized)');
      expect(await kubectlFails(...base, '--username', 'alice', '--password', TOKEN, 'get', 'pods')).toContain(
        'error: You must be logged in to the server (Unauthorized)',
      );
    }, 30000);

    it('answers health checks without credentials, and nothing over plain HTTP', async () => {
      const { stdout } = await run('curl', ['-s', '--cacert', ca(), `https://localhost:${main.port}/healthz`]);
      expect(stdout).toBe('ok');
      const plain = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${main.port}/api/v1/pods`]).catch((e) => e as { stdout: string });
      expect(plain.stdout).not.toBe('200');
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 15000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for kubectl output');
    await new Promise((r) => setTimeout(r, 50));
  }
}
