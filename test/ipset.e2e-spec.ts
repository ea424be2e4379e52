/**
 * ipsets over HTTP: `POST /netsim/v1/trace` and `/iptables/save` take the
 * `ipset save` text beside the rules (field `ipsets`), its problems come back
 * in one 422 with a cause per line (`ipsets:LINE`), a rule naming a set that
 * is not there is refused as iptables refuses it, and `POST
 * /netsim/v1/ipset/save` prints the sets as the real `ipset save` does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app';

const FIXTURES = join(__dirname, '..', 'fixtures', 'ipset');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const RULES = fixture('node-firewall.rules');
const IPSETS = fixture('node-blocklists.ipset');

const from = (source: string, destinationPort = 22, protocol = 'tcp') => ({
  hook: 'PREROUTING',
  inInterface: 'eth0',
  protocol,
  source,
  sourcePort: 40000,
  destination: '192.168.0.2',
  destinationPort,
});

describe('ipsets over HTTP (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const verdicts = async (packet: object): Promise<string[]> => {
    const res = await request(t.http).post('/netsim/v1/trace').send({ rules: RULES, ipsets: IPSETS, packet }).expect(200);
    return res.body.outcomes.map((o: { verdict: string }) => o.verdict);
  };

  it('traces through -m set: blocklisted, trusted, allowed services, bitmap ports, and the rest', async () => {
    expect(await verdicts(from('203.0.113.5'))).toEqual(['DROP']); // blocklist 203.0.113.0/24
    expect(await verdicts(from('198.51.100.7'))).toEqual(['DROP']); // nomatch inside the blocklist: not blocked, but not trusted either
    expect(await verdicts(from('198.51.100.7', 8443))).toEqual(['ACCEPT']); // ... so an allowed service answers it
    expect(await verdicts(from('203.0.113.9'))).toEqual(['DROP']); // an admin, but blocklisted first
    expect(await verdicts(from('10.0.0.5'))).toEqual(['ACCEPT']); // admins, through list:set trusted
    expect(await verdicts(from('10.10.4.4'))).toEqual(['ACCEPT']); // staff, through list:set trusted
    expect(await verdicts(from('10.20.0.1'))).toEqual(['DROP']);
    expect(await verdicts(from('10.20.0.1', 53, 'udp'))).toEqual(['ACCEPT']); // allowed-services 192.168.0.2,udp:53
    expect(await verdicts(from('10.20.0.1', 8443))).toEqual(['ACCEPT']);
    expect(await verdicts(from('10.20.0.1', 443))).toEqual(['ACCEPT']); // web-ports
    expect(await verdicts(from('10.20.0.1', 80))).toEqual(['ACCEPT']); // web-ports
    expect(await verdicts(from('10.20.0.1', 80, 'udp'))).toEqual(['DROP']); // tcp only rule
  });

  it('the steps name the rule that matched', async () => {
    const res = await request(t.http).post('/netsim/v1/trace?format=text').send({ rules: RULES, ipsets: IPSETS, packet: from('203.0.113.5') }).expect(200);
    expect(res.text).toContain('3 INPUT filter INPUT #3: DROP');
    const json = await request(t.http).post('/netsim/v1/trace').send({ rules: RULES, ipsets: IPSETS, packet: from('203.0.113.5') }).expect(200);
    expect(json.body.outcomes[0].steps.at(-1)).toMatchObject({ rule: '-A INPUT -m set --match-set blocklist src -j DROP', action: 'DROP' });
  });

  it('refuses bad ipset text with every problem, each naming its line', async () => {
    const res = await request(t.http)
      .post('/netsim/v1/trace')
      .send({ rules: RULES, ipsets: 'create a hash:ip\nadd a 10.0.0.x\nadd b 10.0.0.1\n', packet: from('10.0.0.1') })
      .expect(422);
    expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Invalid', code: 422 });
    expect(res.body.details.causes).toEqual([
      { field: 'ipsets:2', reason: 'FieldValueInvalid', message: 'Invalid value: "add a 10.0.0.x": Syntax error: cannot parse 10.0.0.x: resolving to IPv4 address failed' },
      { field: 'ipsets:3', reason: 'FieldValueInvalid', message: 'Invalid value: "add b 10.0.0.1": The set with the given name does not exist' },
    ]);
  });

  it('refuses a rule naming a set that is not given, as iptables-restore does; keeps it with unsupported=keep', async () => {
    const res = await request(t.http).post('/netsim/v1/trace').send({ rules: RULES, packet: from('10.0.0.1') }).expect(422);
    expect(res.body.message).toMatch(/^the rules have 4 problems: \[line 7: Set blocklist doesn't exist\., line 8: Set trusted doesn't exist\./);
    const kept = await request(t.http).post('/netsim/v1/iptables/save?unsupported=keep').send({ rules: RULES }).expect(200);
    expect(kept.headers.warning).toContain('line 7 kept as given: set \\"blocklist\\" is not among the ipsets given, so its contents are unknown');
  });

  it('iptables/save checks the rules against the ipsets given', async () => {
    const res = await request(t.http).post('/netsim/v1/iptables/save').send({ rules: RULES, ipsets: IPSETS }).expect(200);
    expect(res.text).toContain('-A INPUT -p tcp -m tcp --dport 22 -m set --match-set trusted src -j ACCEPT\n');
  });

  it('POST /netsim/v1/ipset/save prints what the real ipset save printed', async () => {
    for (const name of ['node-blocklists', 'lists-bitmaps-extensions', 'hash-types']) {
      const res = await request(t.http).post('/netsim/v1/ipset/save').send({ ipsets: fixture(`${name}.ipset`) }).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toBe(fixture(`${name}.ipset-save`));
    }
    await request(t.http).post('/netsim/v1/ipset/save').send({}).expect(422);
  });

  it('documents the ipsets field in the OpenAPI document', async () => {
    const doc = (await request(t.http).get('/docs-json').expect(200)).body;
    expect(doc.components.schemas.TraceRequestDto.properties.ipsets.type).toBe('string');
    expect(doc.paths['/netsim/v1/ipset/save'].post).toBeDefined();
  });
});
