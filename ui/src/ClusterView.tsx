/** Nodes with their pods, Services with their endpoints, live from the watches. */
import type { EndpointSlice, KubeObject } from './answer';
import { keyOf, nodeReady, podState, type ClusterState } from './cluster';

interface Props {
  cluster: ClusterState;
  onSource: (from: string) => void;
  onDestination: (to: string) => void;
}

function internalIP(node: KubeObject): string {
  return (node.status?.addresses as { type: string; address: string }[] | undefined)?.find((a) => a.type === 'InternalIP')?.address ?? '';
}

function endpointsOf(service: KubeObject, slices: readonly EndpointSlice[]) {
  return slices
    .filter((s) => s.metadata.namespace === service.metadata.namespace && s.metadata.labels?.['kubernetes.io/service-name'] === service.metadata.name)
    .flatMap((s) => (s.endpoints ?? []).map((e) => ({ ...e, ports: s.ports ?? [] })));
}

/** `NAME:PORT` for a Service in the pods' usual namespace, else `service/NS/NAME:PORT`. */
export function serviceTarget(service: KubeObject, port: number): string {
  return service.metadata.namespace === 'default' ? `${service.metadata.name}:${port}` : `service/${service.metadata.namespace}/${service.metadata.name}:${port}`;
}

export function ClusterView({ cluster, onSource, onDestination }: Props) {
  return (
    <section class="cluster-view" data-testid="cluster-view">
      <h2>Nodes</h2>
      {cluster.nodes.length === 0 ? <p class="muted">waiting for the watch…</p> : null}
      {cluster.nodes.map((node) => {
        const name = node.metadata.name;
        const ready = nodeReady(node);
        const pods = cluster.pods.filter((p) => p.spec?.nodeName === name);
        return (
          <div class="node-card" key={name} data-node={name}>
            <div class="node-head">
              <b>{name}</b> <span class={`badge ${ready === 'Ready' ? 'ok' : 'bad'}`}>{ready}</span>
              <span class="muted">
                {' '}
                {internalIP(node)} · {node.spec?.podCIDR ?? ''}
              </span>
              <button class="link" title="send from this node" onClick={() => onSource(`node/${name}`)}>
                from
              </button>
            </div>
            <ul class="pods">
              {pods.map((pod) => {
                const state = podState(pod);
                return (
                  <li key={keyOf(pod)} data-pod={keyOf(pod)} class={state === 'Running' ? '' : 'not-ready'}>
                    <button class="link" title="send from this pod" onClick={() => onSource(`pod/${keyOf(pod)}`)}>
                      {keyOf(pod)}
                    </button>{' '}
                    <span class="muted">
                      {pod.status?.podIP ?? ''} {state}
                    </span>
                  </li>
                );
              })}
            </ul>
          </div>
        );
      })}
      <h2>Services</h2>
      <ul class="services">
        {cluster.services.map((svc) => {
          const eps = endpointsOf(svc, cluster.slices);
          const ports = (svc.spec?.ports as { port: number; nodePort?: number; protocol?: string; name?: string }[] | undefined) ?? [];
          return (
            <li key={keyOf(svc)} data-service={keyOf(svc)}>
              <div>
                <b>{keyOf(svc)}</b>{' '}
                <span class="muted">
                  {svc.spec?.type} {svc.spec?.clusterIP}
                </span>{' '}
                {ports.map((p) => (
                  <button key={`${p.port}/${p.protocol}`} class="link port" title="send to this Service port" onClick={() => onDestination(serviceTarget(svc, p.port))}>
                    {p.port}
                    {p.nodePort ? `:${p.nodePort}` : ''}/{p.protocol ?? 'TCP'}
                  </button>
                ))}
              </div>
              <div class="endpoints" data-testid="endpoints">
                {eps.length === 0 ? (
                  <span class="muted">no endpoints</span>
                ) : (
                  eps.map((e) => (
                    <span key={e.addresses.join(',')} class={`endpoint ${e.conditions?.ready === false ? 'not-ready' : ''}`} title={e.targetRef ? `${e.targetRef.name} on ${e.nodeName ?? '?'}` : ''}>
                      {e.addresses.join(',')}
                      {e.conditions?.ready === false ? (e.conditions.terminating ? ' (terminating)' : ' (not ready)') : ''}
                    </span>
                  ))
                )}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
