import fc from 'fast-check';
import { DEMO, startTestApp, TestApp } from '../support/test-app';
import { avoided } from './known-defects';
import { Fuzzer } from './support/fuzzer';
import { FuzzRequest, fuzzRequest } from './support/requests';
import { INHERITED_NAMES } from './support/values';

/**
 * The fuzz suite (issue #18, section 8): thousands of generated requests to
 * every endpoint, each answer checked for the properties in ./support/oracle.ts
 * (no 5xx, every error a `Status`, a rejected request changes no state,
 * Object.prototype untouched, the event loop never held past 250 ms), woven
 * into a model run: Services created, labelled and deleted in a namespace of
 * the run's own, whose listing must always be what the model says.
 *
 * The seed is printed; FUZZ_SEED, FUZZ_RUNS and FUZZ_STEPS replay a run
 * (see docs/testing.md).
 */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const STEPS = Number(process.env.FUZZ_STEPS ?? 50);
const MIN_REQUESTS = RUNS * STEPS;

interface Model {
  services: Map<string, Record<string, string>>;
}
interface Real {
  fuzzer: Fuzzer;
  namespace: string;
}
type Command = fc.AsyncCommand<Model, Real, false>;

const servicePath = (r: Real, name?: string) => `/api/v1/namespaces/${r.namespace}/services${name ? `/${name}` : ''}`;
const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

class FuzzCommand implements Command {
  constructor(readonly request: FuzzRequest) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    await r.fuzzer.send(this.request);
  }
  toString = () => `${this.request.method} ${this.request.url.slice(0, 80)}`;
}

class CreateService implements Command {
  constructor(readonly name: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const request: FuzzRequest = { route: 'POST /api/v1/namespaces/{ns}/services (model)', method: 'POST', url: servicePath(r), family: 'model', ...json({ apiVersion: 'v1', kind: 'Service', metadata: { name: this.name }, spec: { ports: [{ port: 80 }] } }) };
    const answer = await r.fuzzer.send(request);
    const want = m.services.has(this.name) ? 409 : 201;
    if (answer?.status !== want) return r.fuzzer.modelFailure(request, answer, `create: want ${want}, got ${answer?.status}`);
    if (want === 201) m.services.set(this.name, {});
  }
  toString = () => `create ${this.name}`;
}

class DeleteService implements Command {
  constructor(readonly name: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const request: FuzzRequest = { route: 'DELETE /api/v1/namespaces/{ns}/services/{name} (model)', method: 'DELETE', url: servicePath(r, this.name), headers: {}, family: 'model' };
    const answer = await r.fuzzer.send(request);
    const want = m.services.has(this.name) ? 200 : 404;
    if (answer?.status !== want) return r.fuzzer.modelFailure(request, answer, `delete: want ${want}, got ${answer?.status}`);
    m.services.delete(this.name);
  }
  toString = () => `delete ${this.name}`;
}

/** A merge patch of one label; keys include the names every object inherits, which Kubernetes allows. */
class LabelService implements Command {
  constructor(
    readonly name: string,
    readonly key: string,
    readonly value: string,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const labels: Record<string, string> = {};
    Object.defineProperty(labels, this.key, { value: this.value, enumerable: true, writable: true, configurable: true });
    const request: FuzzRequest = { route: 'PATCH /api/v1/namespaces/{ns}/services/{name} (model)', method: 'PATCH', url: servicePath(r, this.name), headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ metadata: { labels } }), family: `label:${this.key}` };
    const answer = await r.fuzzer.send(request);
    // `__proto__` breaks the label key syntax (it must begin and end with an alphanumeric): 422 Invalid, as the API server says.
    const want = !m.services.has(this.name) ? 404 : this.key === '__proto__' ? 422 : 200;
    if (answer?.status !== want) return r.fuzzer.modelFailure(request, answer, `label ${this.key}: want ${want}, got ${answer?.status}`);
    if (want === 200) Object.defineProperty(m.services.get(this.name)!, this.key, { value: this.value, enumerable: true, writable: true, configurable: true });
  }
  toString = () => `label ${this.name} ${this.key}=${this.value}`;
}

/** The listing is the model: the same Services with the same labels. */
class CheckServices implements Command {
  check = () => true;
  async run(m: Model, r: Real) {
    const request: FuzzRequest = { route: 'GET /api/v1/namespaces/{ns}/services (model)', method: 'GET', url: servicePath(r), headers: {}, family: 'model' };
    const answer = await r.fuzzer.send(request);
    if (answer?.status !== 200) return r.fuzzer.modelFailure(request, answer, `list: got ${answer?.status}`);
    const items = (JSON.parse(answer.body) as { items: { metadata: { name: string; labels?: Record<string, string> } }[] }).items;
    const got = items.map((i) => `${i.metadata.name}${JSON.stringify(Object.entries(i.metadata.labels ?? {}).sort())}`).sort();
    const want = [...m.services].map(([name, labels]) => `${name}${JSON.stringify(Object.entries(labels).sort())}`).sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) r.fuzzer.modelFailure(request, answer, 'listing differs from the model');
  }
  toString = () => 'check';
}

const serviceName = fc.constantFrom('s1', 's2', 's3');
const commands: fc.Arbitrary<Command>[] = [
  fuzzRequest.filter((r) => !avoided(r)).map((r) => new FuzzCommand(r)),
  serviceName.map((n) => new CreateService(n)),
  serviceName.map((n) => new DeleteService(n)),
  fc.tuple(serviceName, fc.oneof(fc.constantFrom('app', 'tier', 'example.com/role'), fc.constantFrom(...INHERITED_NAMES)), fc.constantFrom('a', 'b')).map(([n, k, v]) => new LabelService(n, k, v)),
  fc.constant(new CheckServices()),
];
const step = fc.oneof({ weight: 12, arbitrary: commands[0] }, ...commands.slice(1).map((arbitrary) => ({ weight: 1, arbitrary })));

describe('fuzz: every endpoint, every content type (e2e)', () => {
  let t: TestApp;
  let fuzzer: Fuzzer;
  beforeAll(async () => {
    t = await startTestApp(DEMO, 1, {}, { settleInSlices: true });
    fuzzer = new Fuzzer(t);
  });
  afterAll(async () => {
    fuzzer?.close();
    await t?.close();
  });

  it(`holds every property over ${MIN_REQUESTS}+ generated requests (seed ${SEED})`, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: STEPS, maxLength: STEPS }), async (steps) => {
        const namespace = `fz-run-${run++}`;
        await fuzzer.send({ route: 'POST /api/v1/namespaces (model)', method: 'POST', url: '/api/v1/namespaces', family: 'model', ...json({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }) });
        await fc.asyncModelRun(() => ({ model: { services: new Map() }, real: { fuzzer, namespace } }), steps);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    process.stdout.write(`${fuzzer.report(SEED, RUNS, STEPS)}\n`);
    expect(fuzzer.requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect(fuzzer.unexpected.map((f) => `${f.property} ${f.route}: ${f.detail}`)).toEqual([]);
  }, 600_000);
});
