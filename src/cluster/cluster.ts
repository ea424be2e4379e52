import { Clock } from '../common/clock';
import { Random } from '../common/random';
import { AddressPools } from '../ipam/address-pools';
import { ControllerManager } from './controllers/controller-manager';
import { EndpointSliceController } from './controllers/endpoint-slice.controller';
import { KubeletController } from './controllers/kubelet.controller';
import { NamespaceStrategy, SYSTEM_NAMESPACES } from './resources/namespace.strategy';
import { NodeStrategy } from './resources/node.strategy';
import { PodStrategy } from './resources/pod.strategy';
import { ServiceStrategy } from './resources/service.strategy';
import { ObjectStore } from './store/object-store';
import { resourceTypeByKey } from './store/resource-types';

export interface ClusterOptions {
  pools: AddressPools;
  clock: Clock;
  random: Random;
}

/**
 * One simulated cluster: the API objects, the address pools, the strategies
 * that validate and allocate, and the controllers that react. It starts as
 * `kubeadm init` leaves a cluster: the four system namespaces and the
 * `default/kubernetes` Service on the first address of the service range.
 */
export class Cluster {
  readonly store: ObjectStore;
  readonly controllers: ControllerManager;

  private constructor(
    readonly pools: AddressPools,
    readonly clock: Clock,
    readonly random: Random,
  ) {
    this.store = new ObjectStore(clock, random);
    this.store.registerStrategy(type('namespaces'), new NamespaceStrategy());
    this.store.registerStrategy(type('services'), new ServiceStrategy(pools));
    this.store.registerStrategy(type('nodes'), new NodeStrategy(pools, random));
    this.store.registerStrategy(type('pods'), new PodStrategy());
    this.controllers = new ControllerManager(this.store);
    this.controllers.add(new KubeletController(this.store, pools));
    this.controllers.add(new EndpointSliceController(this.store));
  }

  static create(options: ClusterOptions): Cluster {
    const cluster = new Cluster(options.pools, options.clock, options.random);
    cluster.bootstrap();
    return cluster;
  }

  private bootstrap(): void {
    this.store.transaction(() => {
      for (const name of SYSTEM_NAMESPACES) this.store.create(type('namespaces'), { metadata: { name } });
      const ip = this.pools.clusterIps.firstUsable();
      this.store.create(
        type('services'),
        {
          metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
          spec: {
            type: 'ClusterIP',
            clusterIP: ip,
            clusterIPs: [ip],
            ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
            sessionAffinity: 'None',
          },
        },
        'default',
      );
    });
  }
}

function type(key: string) {
  const t = resourceTypeByKey(key);
  if (!t) throw new Error(`unknown resource ${key}`);
  return t;
}
