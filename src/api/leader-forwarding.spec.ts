import Fastify, { FastifyInstance } from 'fastify';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { answeredByLeader, FORWARDED_HEADER, LeaderView, NOT_LEADER_HEADER, registerLeaderForwarding, REVISION_HEADER } from './leader-forwarding';

/** A leader's API: records what reached it, answers 201 with a revision header. */
function fakeLeader(): Promise<{ server: Server; url: string; seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> }> {
  const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.writeHead(201, { 'content-type': 'application/json', [REVISION_HEADER]: '42', warning: '299 - "from the leader"' });
      res.end(JSON.stringify({ kind: 'Pod', metadata: { name: 'made-by-leader', resourceVersion: '42' } }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen })));
}

class View implements LeaderView {
  identity = 'me_1';
  isLeader = false;
  url: string | undefined;
  caught: number[] = [];
  leaderUrl() {
    return this.url;
  }
  caughtUp(revision: number) {
    this.caught.push(revision);
    return Promise.resolve();
  }
}

async function follower(view: View, waitMs = 300): Promise<FastifyInstance> {
  const app = Fastify();
  registerLeaderForwarding(app, view, () => '7', { waitMs });
  app.post('/api/v1/namespaces/default/pods', async () => ({ answeredBy: 'here' }));
  app.get('/api/v1/namespaces/default/pods', async () => ({ items: [], answeredBy: 'here' }));
  app.get('/netsim/v1/clock', async () => ({ answeredBy: 'here' }));
  app.get('/healthz', async () => 'ok');
  await app.ready();
  return app;
}

/** A write sent while `view` follows, which becomes the leader 250 ms later: the write is answered here. */
async function expectAnsweredHereOnLeading(app: FastifyInstance, view: View): Promise<void> {
  const pending = app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: { metadata: { name: 'x' } } });
  setTimeout(() => (view.isLeader = true), 250);
  const answer = await pending;
  expect(answer.statusCode).toBe(200);
  expect(answer.json()).toEqual({ answeredBy: 'here' });
  await app.close();
}

describe('leader forwarding (a follower hands writes and /netsim/v1 to the leader)', () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  it('answers reads of the Kubernetes API and health here; writes and kube-netsim endpoints go to the leader', () => {
    expect(answeredByLeader('GET', '/api/v1/pods')).toBe(false);
    expect(answeredByLeader('GET', '/apis/apps/v1/namespaces/default/deployments')).toBe(false);
    expect(answeredByLeader('GET', '/healthz')).toBe(false);
    expect(answeredByLeader('POST', '/api/v1/namespaces/default/pods')).toBe(true);
    expect(answeredByLeader('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale')).toBe(true);
    expect(answeredByLeader('DELETE', '/api/v1/namespaces/default/pods/a')).toBe(true);
    expect(answeredByLeader('GET', '/netsim/v1/nodes/kind-worker/iptables')).toBe(true);
  });

  it('forwards a write with its body and headers, answers with the leader\'s answer once it has seen the leader\'s revision', async () => {
    const leader = await fakeLeader();
    servers.push(leader.server);
    const view = new View();
    view.url = leader.url;
    const app = await follower(view);
    const answer = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods?fieldManager=kubectl', headers: { 'content-type': 'application/json', authorization: 'Bearer t0ken' }, payload: '{"metadata":{"name":"x"}}' });
    expect(answer.statusCode).toBe(201);
    expect(answer.json()).toEqual({ kind: 'Pod', metadata: { name: 'made-by-leader', resourceVersion: '42' } });
    expect(answer.headers.warning).toBe('299 - "from the leader"');
    expect(answer.headers[REVISION_HEADER]).toBeUndefined();
    expect(view.caught).toEqual([42]);
    expect(leader.seen).toEqual([
      expect.objectContaining({ method: 'POST', url: '/api/v1/namespaces/default/pods?fieldManager=kubectl', body: '{"metadata":{"name":"x"}}' }),
    ]);
    expect(leader.seen[0].headers).toMatchObject({ authorization: 'Bearer t0ken', [FORWARDED_HEADER]: 'me_1', 'content-type': 'application/json' });
    // A read stays here.
    expect((await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/pods' })).json()).toEqual({ items: [], answeredBy: 'here' });
    expect(leader.seen).toHaveLength(1);
    await app.close();
  });

  it('with no leader answering, waits, then answers 503 ServiceUnavailable saying why', async () => {
    const view = new View();
    view.url = 'http://127.0.0.1:1'; // nothing listens there
    const app = await follower(view, 300);
    const answer = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', payload: {} });
    expect(answer.statusCode).toBe(503);
    expect(answer.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'ServiceUnavailable', code: 503 });
    expect(answer.json().message).toMatch(/^this kube-netsim process is not the leader, and the leader at http:\/\/127\.0\.0\.1:1 does not answer \(.*ECONNREFUSED.*\); retry$/);
    await app.close();
  });

  it('answers a request itself once it becomes the leader while waiting', async () => {
    const view = new View();
    const app = await follower(view, 5000);
    await expectAnsweredHereOnLeading(app, view);
  });

  it('waits past a stale Lease URL where a process that does not lead now listens (its own port taken again), as for a dead leader', async () => {
    const view = new View();
    const app = await follower(view, 5000);
    await app.listen({ port: 0, host: '127.0.0.1' });
    view.url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    await expectAnsweredHereOnLeading(app, view);
  });

  it('refuses a WebSocket upgrade and a request another follower forwarded, naming why', async () => {
    const view = new View();
    view.url = 'http://127.0.0.1:3000';
    const app = await follower(view);
    const upgrade = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', headers: { upgrade: 'websocket', connection: 'upgrade' } });
    expect(upgrade.statusCode).toBe(503);
    expect(upgrade.json().message).toBe('this kube-netsim process is not the leader: send exec, attach and port-forward to the leader (http://127.0.0.1:3000)');
    const again = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', headers: { [FORWARDED_HEADER]: 'other_2' } });
    expect(again.statusCode).toBe(503);
    expect(again.json().message).toBe('this kube-netsim process (me_1) is not the leader any more; retry');
    expect(again.headers[NOT_LEADER_HEADER]).toBe('me_1');
    await app.close();
  });

  it('the leader marks its answer to a forwarded request with its store revision; a leader answers everything itself', async () => {
    const view = new View();
    view.isLeader = true;
    const app = await follower(view);
    const forwarded = await app.inject({ method: 'POST', url: '/api/v1/namespaces/default/pods', headers: { [FORWARDED_HEADER]: 'other_2' }, payload: {} });
    expect(forwarded.json()).toEqual({ answeredBy: 'here' });
    expect(forwarded.headers[REVISION_HEADER]).toBe('7');
    const direct = await app.inject({ method: 'GET', url: '/netsim/v1/clock' });
    expect(direct.json()).toEqual({ answeredBy: 'here' });
    expect(direct.headers[REVISION_HEADER]).toBeUndefined();
    await app.close();
  });
});
