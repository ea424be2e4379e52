/**
 * The OpenAPI document (/docs-json) describes every netsim request and
 * answer (checked over every /netsim operation): the traffic request's
 * fields and defaults, the answer's shape (outcomes, verdict, path, hops),
 * trace, clock/advance, and the node endpoints; a text answer is a string;
 * the UI works at /docs and /docs/.
 */
import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app';

interface Schema {
  $ref?: string;
  type?: string;
  enum?: string[];
  default?: unknown;
  maximum?: number;
  nullable?: boolean;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
}
interface Operation {
  parameters?: { name: string; in: string; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

describe('the OpenAPI document (e2e)', () => {
  let t: TestApp;
  let doc: Document;
  beforeAll(async () => {
    t = await startTestApp();
    doc = (await request(t.http).get('/docs-json').expect(200)).body;
  });
  afterAll(() => t.close());

  const schema = (name: string): Schema => {
    const s = doc.components.schemas[name];
    if (s === undefined) throw new Error(`no schema ${name}`);
    return s;
  };
  /** The schema a property refers to (directly, through allOf, or as array items). */
  const ref = (s: Schema | undefined): string | undefined => {
    const target = s?.items ?? s;
    return (target?.$ref ?? target?.allOf?.[0]?.$ref)?.replace('#/components/schemas/', '');
  };
  const op = (path: string, method: string): Operation => {
    const o = doc.paths[path]?.[method];
    if (o === undefined) throw new Error(`no ${method} ${path}`);
    return o;
  };
  const ok = (o: Operation, type = 'application/json') => ref(o.responses['200'].content?.[type]?.schema);

  it('describes the traffic request: every field with its default, detail and format', () => {
    const traffic = op('/netsim/v1/traffic', 'post');
    expect(ref(traffic.requestBody!.content['application/json'].schema)).toBe('TrafficRequestDto');
    const body = schema('TrafficRequestDto');
    expect(body.required).toEqual(expect.arrayContaining(['from', 'to']));
    expect(body.properties!.from.oneOf).toHaveLength(2);
    expect(body.properties!.protocol).toMatchObject({ enum: ['tcp', 'udp', 'sctp', 'icmp'], default: 'tcp' });
    expect(body.properties!.icmpId).toMatchObject({ default: 1 });
    expect(body.properties!.sourcePort).toMatchObject({ default: 40000 });
    expect(body.properties!.mode).toMatchObject({ enum: ['enumerate', 'sample'], default: 'enumerate' });
    expect(body.properties!.count).toMatchObject({ default: 100 });
    expect(Object.keys(body.properties!)).toEqual(expect.arrayContaining(['seed']));
    const params = Object.fromEntries(traffic.parameters!.map((p) => [p.name, p]));
    expect(params.detail).toMatchObject({ in: 'query', schema: { enum: ['summary', 'hops'] } });
    expect(params.format).toMatchObject({ in: 'query', schema: { enum: ['json', 'text'] } });
  });

  it('describes the traffic answer: outcomes, verdict, path, and hops with their rules', () => {
    const traffic = op('/netsim/v1/traffic', 'post');
    expect(ok(traffic)).toBe('TrafficAnswerDto');
    expect(traffic.responses['200'].content!['text/plain'].schema).toEqual({ type: 'string' });
    expect(traffic.responses['406']).toBeDefined();
    expect(ref(schema('TrafficAnswerDto').properties!.outcomes)).toBe('TrafficOutcomeDto');
    const outcome = schema('TrafficOutcomeDto').properties!;
    expect(outcome.result.enum).toEqual(['delivered', 'refused', 'rejected', 'dropped', 'no-route', 'nxdomain', 'external']);
    expect(ref(outcome.verdict)).toBe('VerdictDto');
    expect(schema('VerdictDto').properties!.client.enum).toContain('connection-refused');
    // Every outcome has one, and it is the same shape as diagnose's (one VerdictDto, not two that clash by name).
    expect(schema('TrafficOutcomeDto').required).toContain('verdict');
    expect(schema('VerdictDto').properties!.reason.enum).toEqual(expect.arrayContaining(['Delivered', 'ScaledToZero', 'NoLocalEndpoints']));
    expect(ref(schema('VerdictDto').properties!.notes)).toBe('VerdictNoteDto');
    expect(ref(schema('DiagnosedOutcomeDto').properties!.verdict)).toBe('VerdictDto');
    expect(ref(outcome.path)).toBe('PathSummaryDto');
    expect(ref(outcome.replyPath)).toBe('PathSummaryDto');
    expect(ref(schema('PathSummaryDto').properties!.rewrites)).toBe('RewriteDto');
    expect(schema('RewriteDto').properties!.type.enum).toEqual(['DNAT', 'SNAT', 'MASQUERADE', 'VXLAN']);
    expect(ref(outcome.hops)).toBe('HopDto');
    expect(ref(schema('HopDto').properties!.rules)).toBe('TraceStepDto');
    expect(ref(schema('HopDto').properties!.packet)).toBe('PacketViewDto');
    expect(Object.keys(schema('TraceStepDto').properties!)).toEqual(['hook', 'table', 'chain', 'ruleNumber', 'rule', 'action']);
  });

  it('describes trace, clock/advance and the node endpoints', () => {
    const trace = op('/netsim/v1/trace', 'post');
    expect(ok(trace)).toBe('TraceAnswerDto');
    expect(trace.parameters!.map((p) => p.name)).toContain('format');
    expect(ref(schema('TraceAnswerDto').properties!.outcomes)).toBe('TraceRequestOutcomeDto');
    // A REJECT's ICMP error, traced back: outcomes of the same shape.
    expect(ref(schema('TraceRequestOutcomeDto').properties!.answer)).toBe('RejectAnswerDto');
    expect(ref(schema('RejectAnswerDto').properties!.outcomes)).toBe('TraceOutcomeDto');
    expect(ref(schema('TraceOutcomeDto').properties!.steps)).toBe('TraceStepDto');

    const advance = op('/netsim/v1/clock/advance', 'post');
    expect(ref(advance.requestBody!.content['application/json'].schema)).toBe('AdvanceClockDto');
    expect(schema('AdvanceClockDto')).toMatchObject({ required: ['seconds'], properties: { seconds: { type: 'number', maximum: 2592000 } } });
    expect(ok(advance)).toBe('ClockViewDto');
    expect(ok(op('/netsim/v1/clock', 'get'))).toBe('ClockViewDto');

    expect(ok(op('/netsim/v1/nodes/{node}/conntrack', 'get'))).toBe('ConntrackAnswerDto');
    expect(ok(op('/netsim/v1/nodes/{node}/routes', 'get'))).toBe('RoutesAnswerDto');
    expect(ok(op('/netsim/v1/nodes/{node}/interfaces', 'get'))).toBe('InterfacesAnswerDto');
    expect(ok(op('/netsim/v1/nodes/{node}/kubelet/stop', 'post'))).toBe('KubeletStateDto');
    expect(ok(op('/netsim/v1/nodes/{node}/kubelet/start', 'post'))).toBe('KubeletStateDto');
  });

  it('describes every answer negotiated between JSON and text alike: the format query, both media types, the 406', () => {
    for (const [path, method] of [
      ['/netsim/v1/trace', 'post'],
      ['/netsim/v1/nodes/{node}/trace', 'post'],
      ['/netsim/v1/traffic', 'post'],
      ['/netsim/v1/nodes/{node}/iptables/diff', 'get'],
      ['/netsim/v1/diagnose', 'get'],
    ]) {
      const o = op(path, method);
      expect([path, o.parameters!.find((p) => p.name === 'format')]).toMatchObject([path, { in: 'query', schema: { enum: ['json', 'text'] } }]);
      expect([path, Object.keys(o.responses['200'].content!)]).toEqual([path, ['application/json', 'text/plain']]);
      expect([path, o.responses['406']]).toEqual([path, expect.objectContaining({ description: expect.stringContaining('Accept names neither') })]);
    }
    expect(ok(op('/netsim/v1/nodes/{node}/trace', 'post'))).toBe('TraceAnswerDto');
    expect(ok(op('/netsim/v1/diagnose', 'get'))).toBe('DiagnosisDto');
  });

  it('gives a text answer a string schema, and a JSON answer its shape, per media type', () => {
    for (const [path, answer] of [
      ['/netsim/v1/traffic', 'TrafficAnswerDto'],
      ['/netsim/v1/trace', 'TraceAnswerDto'],
      ['/netsim/v1/nodes/{node}/conntrack', 'ConntrackAnswerDto'],
      ['/netsim/v1/nodes/{node}/routes', 'RoutesAnswerDto'],
      ['/netsim/v1/nodes/{node}/interfaces', 'InterfacesAnswerDto'],
    ]) {
      const o = doc.paths[path].post ?? doc.paths[path].get;
      expect([path, ok(o)]).toEqual([path, answer]);
      expect([path, o.responses['200'].content!['text/plain'].schema]).toEqual([path, { type: 'string' }]);
    }
    for (const [path, method] of [
      ['/netsim/v1/iptables/save', 'post'],
      ['/netsim/v1/nodes/{node}/iptables', 'get'],
      ['/netsim/v1/kube-proxy/render', 'post'],
    ]) {
      expect([path, op(path, method).responses['200'].content]).toEqual([path, { 'text/plain': { schema: { type: 'string' } } }]);
    }
  });

  it('describes every netsim answer, every request body, and the health endpoints', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, o]) => ({ path, method, o })));
    const netsim = operations.filter((x) => x.path.startsWith('/netsim/'));
    expect(netsim.length).toBeGreaterThanOrEqual(20);
    const withoutAnswer = netsim.filter(({ o }) => !Object.entries(o.responses).some(([code, r]) => /^2/.test(code) && Object.values(r.content ?? {}).some((c) => c.schema !== undefined)));
    expect(withoutAnswer.map((x) => `${x.method} ${x.path}`)).toEqual([]);
    // Every operation that reads a body (kubelet stop/start, removing a manifest and imported rules, reset take none) describes it.
    const noBody = [
      'post /netsim/v1/reset',
      'post /netsim/v1/nodes/{node}/kubelet/stop',
      'post /netsim/v1/nodes/{node}/kubelet/start',
      'delete /netsim/v1/nodes/{node}/manifests/{file}',
      'delete /netsim/v1/nodes/{node}/iptables',
    ];
    const bodyTaking = netsim.filter((x) => ['post', 'put', 'patch', 'delete'].includes(x.method) && !noBody.includes(`${x.method} ${x.path}`));
    expect(bodyTaking.length).toBeGreaterThanOrEqual(10);
    const withoutBody = bodyTaking.filter(({ o }) => !Object.values(o.requestBody?.content ?? {}).some((c) => c.schema !== undefined));
    expect(withoutBody.map((x) => `${x.method} ${x.path}`)).toEqual([]);
    for (const path of ['/healthz', '/livez', '/readyz']) expect(op(path, 'get').responses['200'].content!['text/plain'].schema).toEqual({ type: 'string' });
  });

  it.each(['/docs', '/docs/'])('serves the UI at %s, every asset it names found', async (page) => {
    const html = (await request(t.http).get(page).expect(200)).text;
    const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => new URL(m[1], `http://localhost${page}`).pathname);
    expect(assets).toEqual(expect.arrayContaining([expect.stringMatching(/swagger-ui-bundle\.js$/), expect.stringMatching(/swagger-ui-init\.js$/)]));
    for (const asset of assets) await request(t.http).get(asset).expect(200);
  });
});
