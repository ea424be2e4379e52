/**
 * Lenient loading over HTTP: a refused dump answers one 422 Status listing
 * every problem; `?unsupported=keep` loads it, prints kept lines back as
 * given, and traces both ways with the rules each outcome depends on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app';

const DUMP = readFileSync(join(__dirname, '..', 'fixtures', 'netfilter', 'unmodelled', 'node.save'), 'utf8');
const KEPT_LINES = [7, 8, 16, 18, 19, 20, 21, 28];

const sshFromOutside = {
  hook: 'PREROUTING',
  inInterface: 'eth0',
  protocol: 'tcp',
  source: '203.0.113.2',
  sourcePort: 40000,
  destination: '192.168.0.2',
  destinationPort: 22,
};

describe('lenient loading (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('without unsupported=keep', () => {
    it('refuses the dump with one 422 Status listing every line it cannot load', async () => {
      for (const [path, body] of [
        ['/netsim/v1/iptables/save', { rules: DUMP }],
        ['/netsim/v1/trace', { rules: DUMP, packet: sshFromOutside }],
      ] as const) {
        const res = await request(t.http).post(path).send(body).expect(422);
        expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Invalid', code: 422 });
        expect(res.body.message).toMatch(/^the rules have 8 problems: \[line 7: `-j TCPOPTSTRIP` is a real iptables target that kube-netsim does not model/);
        const causes: { field: string; reason: string; message: string }[] = res.body.details.causes;
        expect(causes.map((c) => c.field)).toEqual(KEPT_LINES.map((n) => `rules:${n}`));
        // Line 18 names an ipset the request does not give: refused as iptables-restore refuses it (kept with unsupported=keep).
        expect(causes.filter((c) => c.reason !== 'FieldValueNotSupported')).toEqual([
          { field: 'rules:18', reason: 'FieldValueInvalid', message: 'Invalid value: "-A INPUT -m set --match-set blocklist src -j DROP": Set blocklist doesn\'t exist.' },
        ]);
        expect(causes[5].message).toBe(
          'Unsupported value: "-A OUTPUT -p tcp -m quota --quota 1048576 -m tcp --dport 25 -j REJECT --reject-with tcp-reset": ' +
            '`-m quota` is a real iptables match that kube-netsim does not model; load with unsupported=keep to trace around it',
        );
      }
    });

    it('names a word no Linux module has as unknown, beside the real ones', async () => {
      const rules = '*filter\n-A INPUT -m quota --quota 0 -j DROP\n-A INPUT -m ownr --uid-owner 0 -j DROP\n-A INPUT -j SYNPROXY\nCOMMIT\n';
      const res = await request(t.http).post('/netsim/v1/iptables/save').send({ rules }).expect(422);
      expect(res.body.details.causes).toEqual([
        expect.objectContaining({ field: 'rules:2', reason: 'FieldValueNotSupported', message: expect.stringContaining('`-m quota` is a real iptables match') }),
        { field: 'rules:3', reason: 'FieldValueInvalid', message: 'Invalid value: "-A INPUT -m ownr --uid-owner 0 -j DROP": unknown match module "ownr"' },
        expect.objectContaining({ field: 'rules:4', reason: 'FieldValueNotSupported', message: expect.stringContaining('`-j SYNPROXY` is a real iptables target') }),
      ]);
    });

    it('refuses an unknown value of unsupported with 400', async () => {
      const res = await request(t.http).post('/netsim/v1/iptables/save?unsupported=maybe').send({ rules: DUMP }).expect(400);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'unsupported must be one of "refuse" or "keep", not "maybe"' });
    });
  });

  describe('with unsupported=keep', () => {
    it('loads the dump and prints it back byte for byte, kept lines in place, each named in a Warning header', async () => {
      const res = await request(t.http).post('/netsim/v1/iptables/save?unsupported=keep').send({ rules: DUMP }).expect(200);
      const printed = res.text
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n');
      expect(printed).toBe(DUMP);
      const warnings = String(res.headers['warning']).split(/, (?=299 )/);
      expect(warnings).toHaveLength(8);
      expect(warnings[2]).toBe(
        '299 - "line 16 kept as given: `-m time` is a real iptables match that kube-netsim does not model"',
      );
    });

    it('traces both ways at a kept rule, each outcome naming the rule it depends on', async () => {
      const res = await request(t.http).post('/netsim/v1/trace?unsupported=keep').send({ rules: DUMP, packet: sshFromOutside }).expect(200);
      const outcomes: { verdict: string; probability: number; delivery: string | null; dependsOn?: { line: number; matches: boolean; rule: string }[] }[] =
        res.body.outcomes;
      expect(outcomes.map((o) => [o.verdict, o.delivery, o.probability, o.dependsOn?.map((d) => `${d.line}:${d.matches}`)])).toEqual([
        ['ACCEPT', 'local', 1, ['16:true']],
        ['DROP', null, 1, ['16:false', '18:true']],
        ['DROP', null, 1, ['16:false', '18:false']],
      ]);
      expect(outcomes[0].dependsOn![0].rule).toBe('-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m time --timestart 09:00:00 --timestop 17:00:00 -j ACCEPT');
    });

    it('stops at a kept target it cannot follow (UNKNOWN), and says so in the text form', async () => {
      const res = await request(t.http)
        .post('/netsim/v1/trace?unsupported=keep&format=text')
        .send({ rules: DUMP, packet: { ...sshFromOutside, destinationPort: 8080 } })
        .expect(200);
      const text = res.text.replace(/\s+/g, ' '); // the text form wraps at 80 columns
      expect(text).toContain('1. 100.00% (if the rules below do as said) UNKNOWN: the trace stops at a rule kube-netsim does not model');
      expect(text).toContain('if line 28 matches: -A PREROUTING -p tcp -m tcp --dport 8080 -j NETMAP --to 192.168.0.0/24');
      expect(text).toContain('PREROUTING nat PREROUTING #1: NETMAP (not modelled): the trace cannot follow it and stops here');
    });
  });
});
