import { refusalOf } from '../../../test/support/common/domain-error';
import { escapeFieldValue, parseFieldSelector } from './field-selector';
import { KubeObject } from './types';

function object(kind: string, fields: Record<string, unknown>, name = 'x', namespace?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}), uid: 'u', resourceVersion: '1', generation: 1, creationTimestamp: '' },
    ...fields,
  };
}

const matches = (kind: string, selector: string, o: KubeObject) => parseFieldSelector(selector, kind).matches(o);

describe('field selectors', () => {
  const event = object(
    'Event',
    {
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'abc', apiVersion: 'v1', fieldPath: 'spec.containers{web}' },
      reason: 'FailedScheduling',
      type: 'Warning',
      source: { component: 'default-scheduler' },
      reportingComponent: 'default-scheduler',
    },
    'web-1.1',
    'default',
  );

  it('selects events as kubectl describe asks for them', () => {
    expect(matches('Event', 'involvedObject.name=web-1,involvedObject.namespace=default,involvedObject.uid=abc', event)).toBe(true);
    expect(matches('Event', 'involvedObject.kind=Pod,involvedObject.apiVersion=v1,type=Warning,reason=FailedScheduling', event)).toBe(true);
    expect(matches('Event', 'involvedObject.uid=other', event)).toBe(false);
    expect(matches('Event', 'type!=Warning', event)).toBe(false);
    expect(matches('Event', 'type==Warning', event)).toBe(true);
    expect(matches('Event', 'involvedObject.fieldPath=spec.containers{web}', event)).toBe(true);
    expect(matches('Event', 'involvedObject.resourceVersion=', event)).toBe(true);
    expect(matches('Event', 'metadata.name=web-1.1,metadata.namespace=default', event)).toBe(true);
  });

  it("reads an event's source from source.component, else from reportingComponent", () => {
    expect(matches('Event', 'source=default-scheduler,reportingComponent=default-scheduler', event)).toBe(true);
    const newStyle = object('Event', { reportingComponent: 'kubelet' });
    expect(matches('Event', 'source=kubelet', newStyle)).toBe(true);
    const oldStyle = object('Event', { source: { component: 'kubelet' } });
    expect(matches('Event', 'source=kubelet,reportingComponent=', oldStyle)).toBe(true);
  });

  it("selects pods by upstream's fields, spec.host standing for spec.nodeName", () => {
    const pod = object(
      'Pod',
      {
        spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default', hostNetwork: true },
        status: { phase: 'Running', podIP: '10.244.1.2', podIPs: [{ ip: '10.244.1.2' }], nominatedNodeName: 'n2' },
      },
      'p',
      'default',
    );
    expect(
      matches(
        'Pod',
        'spec.nodeName=n1,spec.restartPolicy=Always,spec.schedulerName=default-scheduler,spec.serviceAccountName=default,spec.hostNetwork=true',
        pod,
      ),
    ).toBe(true);
    expect(matches('Pod', 'status.phase=Running,status.podIP=10.244.1.2,status.nominatedNodeName=n2', pod)).toBe(true);
    expect(matches('Pod', 'spec.host=n1', pod)).toBe(true);
    expect(parseFieldSelector('spec.host=n1', 'Pod').equalTo('spec.nodeName')).toBe('n1');
    // Accepted, but the API server holds no value for it.
    expect(matches('Pod', 'status.podIPs=10.244.1.2', pod)).toBe(false);
    expect(matches('Pod', 'status.podIPs=', pod)).toBe(true);
    expect(matches('Pod', 'spec.hostNetwork=false', object('Pod', { spec: {} }))).toBe(true);
  });

  it('selects nodes, namespaces and Services by their own fields', () => {
    expect(matches('Node', 'spec.unschedulable=false', object('Node', { spec: {} }))).toBe(true);
    expect(matches('Node', 'spec.unschedulable=true', object('Node', { spec: { unschedulable: true } }))).toBe(true);
    expect(matches('Namespace', 'status.phase=Active', object('Namespace', { status: { phase: 'Active' } }))).toBe(true);
    const svc = object('Service', { spec: { type: 'NodePort', clusterIP: '10.96.0.5' } }, 's', 'default');
    expect(matches('Service', 'spec.type=NodePort,spec.clusterIP=10.96.0.5', svc)).toBe(true);
    expect(matches('Deployment', 'metadata.namespace=default', object('Deployment', {}, 'd', 'default'))).toBe(true);
  });

  it("refuses other labels with the API server's words for each kind", () => {
    expect(refusalOf(() => parseFieldSelector('spec.foo=1', 'Pod')).message).toBe('field label not supported: spec.foo');
    expect(refusalOf(() => parseFieldSelector('metadata.namespace=x', 'Node')).message).toBe('field label not supported: metadata.namespace');
    expect(refusalOf(() => parseFieldSelector('spec.type=x', 'Event')).message).toBe('field label not supported: spec.type');
    expect(refusalOf(() => parseFieldSelector('status.replicas=0', 'ReplicaSet')).message).toBe(
      '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    expect(refusalOf(() => parseFieldSelector('spec.replicas=1', 'Deployment')).code).toBe('BAD_REQUEST');
    // Nothing is trimmed: the label keeps its space.
    expect(refusalOf(() => parseFieldSelector('type =Warning', 'Event')).message).toBe('field label not supported: type ');
  });

  it('reads escaped values and refuses bad ones as the fields package does', () => {
    const named = object('Event', { reason: 'a,b=c\\d' });
    expect(matches('Event', `reason=${escapeFieldValue('a,b=c\\d')}`, named)).toBe(true);
    expect(refusalOf(() => parseFieldSelector('reason=a\\x', 'Event')).message).toBe('invalid field selector: invalid escape sequence: \\x');
    expect(refusalOf(() => parseFieldSelector('reason=a\\', 'Event')).message).toBe('invalid field selector: invalid escape sequence: \\');
    expect(refusalOf(() => parseFieldSelector('reason=a=b', 'Event')).message).toBe('invalid field selector: unescaped character in value: 61');
    expect(refusalOf(() => parseFieldSelector('reason', 'Event')).message).toBe("invalid selector: 'reason'; can't understand 'reason'");
    expect(parseFieldSelector('', 'Event').requirements).toEqual([]);
    expect(parseFieldSelector('type=Warning,', 'Event').requirements).toHaveLength(1);
  });
});
