/** Reading `kubectl cluster-info dump`: lists opened, logs skipped whatever they hold, events ignored, namespaces given. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DomainError } from '../../common/domain-error';
import { newCluster } from '../../../test/support/cluster/cluster';
import { isClusterInfoDump, parseClusterInfoDump } from './cluster-info-dump';
import { importCluster } from './cluster-import';

const list = (kind: string, items: object[], apiVersion = 'v1') => JSON.stringify({ kind, apiVersion, metadata: { resourceVersion: '7' }, items }, null, 4) + '\n';
const node = { kind: 'Node', apiVersion: 'v1', metadata: { name: 'n1' } };
const service = { kind: 'Service', apiVersion: 'v1', metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ port: 80 }] } };
const event = { kind: 'Event', apiVersion: 'v1', metadata: { name: 'web.1', namespace: 'shop' } };
const pod = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'web-1', namespace: 'shop' } };

/** As kubectl v1.32 writes it: JSON lists one after the other, then the log blocks. */
const DUMP =
  list('NodeList', [node]) +
  list('EventList', [event]) +
  list('ReplicationControllerList', []) +
  list('ServiceList', [service]) +
  list('DaemonSetList', [], 'apps/v1') +
  list('PodList', [pod]) +
  '==== START logs for container web of pod shop/web-1 ====\n' +
  '{"level":"info","msg":"a log line that is JSON"}\n' +
  '==== START logs for container fake of pod x/y ====\n' +
  'no newline at the end' +
  '==== END logs for container web of pod shop/web-1 ====\n' +
  '==== START logs for container db of pod shop/db-0 ====\n' +
  '==== END logs for container db of pod shop/db-0 ====\n';

describe('kubectl cluster-info dump', () => {
  it('opens every list into its objects, skips the logs whatever they hold, ignores the events, and gives each namespace a Namespace', () => {
    const dump = parseClusterInfoDump(DUMP);
    expect(dump.documents.map((d) => [d.index, d.object.kind, d.object.metadata?.namespace ?? null, d.object.metadata?.name])).toEqual([
      [1, 'Namespace', null, 'shop'],
      [2, 'Node', null, 'n1'],
      [3, 'Service', 'shop', 'web'],
      [4, 'Pod', 'shop', 'web-1'],
    ]);
    expect([dump.events, dump.logs]).toEqual([1, 2]);
  });

  it('tells a dump from a single JSON document or YAML', () => {
    expect(isClusterInfoDump(DUMP)).toBe(true);
    expect(isClusterInfoDump(list('NodeList', [node]) + '==== START logs for container a of pod b/c ====\n==== END logs for container a of pod b/c ====\n')).toBe(true);
    expect(isClusterInfoDump(list('List', [node]))).toBe(false);
    expect(isClusterInfoDump('apiVersion: v1\nkind: List\nitems: []\n')).toBe(false);
    expect(isClusterInfoDump('{"kind": "List"}\n---\n{"kind": "List"}\n')).toBe(false);
  });

  it('gives an item without a kind the kind of its list', () => {
    const dump = parseClusterInfoDump(list('NodeList', [{ metadata: { name: 'n2' } }]) + list('NodeList', []));
    expect(dump.documents.map((d) => [d.object.apiVersion, d.object.kind, d.object.metadata?.name])).toEqual([['v1', 'Node', 'n2']]);
  });

  it('refuses what kubectl does not write, naming the line', () => {
    const refusal = (text: string) => {
      try {
        parseClusterInfoDump(text);
      } catch (e) {
        if (e instanceof DomainError) return [e.code, e.message];
      }
      return 'read';
    };
    expect(refusal(list('NodeList', []) + 'garbage\n')).toEqual(['BAD_REQUEST', 'the body is not a kubectl cluster-info dump: line 9 is neither a JSON document nor a "==== START logs for container" line']);
    expect(refusal(list('NodeList', []) + '{\n  "kind": "Node",\n')).toEqual(['BAD_REQUEST', 'the body is not a kubectl cluster-info dump: the JSON document at line 9 does not end']);
    expect(refusal(list('NodeList', []) + '{"kind": "Node", "apiVersion": "v1"}\n')).toEqual([
      'BAD_REQUEST',
      'the body is not a kubectl cluster-info dump: the document at line 9 is not a list (kind "Node"); kubectl writes only lists',
    ]);
    expect(refusal(list('NodeList', []) + '{"kind": "NodeList", "items": [,]}\n')).toEqual(['BAD_REQUEST', expect.stringMatching(/^the body is not a kubectl cluster-info dump: the JSON document at line 9: /)]);
  });
});

describe('the recorded dump of the demo cluster (fixtures/import/demo-cluster-info-dump.txt, kubectl v1.32)', () => {
  it('imports as the List path does: every object but the events, and the namespaces they are in', () => {
    const text = readFileSync(path.resolve(__dirname, '../../../fixtures/import/demo-cluster-info-dump.txt'), 'utf8');
    expect(isClusterInfoDump(text)).toBe(true);
    const dump = parseClusterInfoDump(text);
    expect(dump.events).toBeGreaterThan(0);
    expect(dump.logs).toBeGreaterThan(0);
    const c = newCluster();
    const result = importCluster(c.store, c.pools, dump.documents);
    expect(result).toMatchObject({
      imported: { Namespace: 2, Node: 3, Service: 5, Deployment: 3, ReplicaSet: 3, DaemonSet: 2, Pod: 19 },
      existing: { Namespace: 2, Service: 1 },
      skipped: [],
    });
  });
});
