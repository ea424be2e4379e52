import { ObjectInput } from '../store/types';

/**
 * The static pod manifests `kubeadm init` writes to the control-plane node's
 * `/etc/kubernetes/manifests` (as on a fresh `kind create cluster`): etcd,
 * kube-apiserver, kube-controller-manager and kube-scheduler, host network,
 * labelled `component`/`tier: control-plane`, `system-node-critical`, with
 * kubeadm's flags, probes, volumes and annotations for this node's address.
 *
 * One difference, on purpose: each container declares the ports it listens
 * on (kubeadm's declare none), because a simulated pod answers only on the
 * ports it declares (docs/cluster.md, "The demo cluster").
 */
export interface ControlPlaneOptions {
  /** The node the kubelet runs the static pods on (`nodeRegistration.name`). */
  nodeName: string;
  /** Its InternalIP (`localAPIEndpoint.advertiseAddress`). */
  advertiseAddress: string;
  /** `localAPIEndpoint.bindPort`. */
  bindPort: number;
  /** `--service-cluster-ip-range`. */
  serviceSubnet: string;
  /** `--cluster-cidr`. */
  podSubnet: string;
  /** `v1.32.4`: the images' tag. */
  kubernetesVersion: string;
  /** `--cluster-name` (kind: `kind`). */
  clusterName: string;
}

export const STATIC_POD_FILES = ['etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml'] as const;

/** The etcd image kubeadm 1.32 pulls. */
const ETCD_IMAGE = 'registry.k8s.io/etcd:3.5.16-0';
const PKI = '/etc/kubernetes/pki';
const DIRECTORY_OR_CREATE = 'DirectoryOrCreate';

type Scheme = 'HTTP' | 'HTTPS';

/** kubeadm's probes: liveness (8 failures, 10 s initial delay) and a startup probe of 24 failures. */
function probes(host: string, port: number, scheme: Scheme, livePath: string, startPath = livePath) {
  const httpGet = (path: string) => ({ host, path, port, scheme });
  return {
    livenessProbe: { failureThreshold: 8, httpGet: httpGet(livePath), initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 15 },
    startupProbe: { failureThreshold: 24, httpGet: httpGet(startPath), initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 15 },
  };
}

function hostPath(name: string, path: string, type = DIRECTORY_OR_CREATE) {
  return { name, hostPath: { path, type } };
}

function mount(name: string, mountPath: string, readOnly = false) {
  return readOnly ? { mountPath, name, readOnly: true } : { mountPath, name };
}

/** The certificate directories every control-plane component but etcd mounts read-only. */
const CA_VOLUMES = [
  hostPath('ca-certs', '/etc/ssl/certs'),
  hostPath('etc-ca-certificates', '/etc/ca-certificates'),
  hostPath('k8s-certs', PKI),
  hostPath('usr-local-share-ca-certificates', '/usr/local/share/ca-certificates'),
  hostPath('usr-share-ca-certificates', '/usr/share/ca-certificates'),
];
const CA_MOUNTS = CA_VOLUMES.map((v) => mount(v.name, v.hostPath.path, true));

function staticPod(component: string, container: Record<string, unknown>, volumes: object[], annotations?: Record<string, string>): ObjectInput {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(annotations ? { annotations } : {}),
      labels: { component, tier: 'control-plane' },
      name: component,
      namespace: 'kube-system',
    },
    spec: {
      containers: [{ name: component, imagePullPolicy: 'IfNotPresent', ...container }],
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      volumes,
    },
  };
}

function etcd(o: ControlPlaneOptions): ObjectInput {
  const ip = o.advertiseAddress;
  return staticPod(
    'etcd',
    {
      command: [
        'etcd',
        `--advertise-client-urls=https://${ip}:2379`,
        `--cert-file=${PKI}/etcd/server.crt`,
        '--client-cert-auth=true',
        '--data-dir=/var/lib/etcd',
        '--experimental-initial-corrupt-check=true',
        '--experimental-watch-progress-notify-interval=5s',
        `--initial-advertise-peer-urls=https://${ip}:2380`,
        `--initial-cluster=${o.nodeName}=https://${ip}:2380`,
        `--key-file=${PKI}/etcd/server.key`,
        `--listen-client-urls=https://127.0.0.1:2379,https://${ip}:2379`,
        '--listen-metrics-urls=http://127.0.0.1:2381',
        `--listen-peer-urls=https://${ip}:2380`,
        `--name=${o.nodeName}`,
        `--peer-cert-file=${PKI}/etcd/peer.crt`,
        '--peer-client-cert-auth=true',
        `--peer-key-file=${PKI}/etcd/peer.key`,
        `--peer-trusted-ca-file=${PKI}/etcd/ca.crt`,
        '--snapshot-count=10000',
        `--trusted-ca-file=${PKI}/etcd/ca.crt`,
      ],
      image: ETCD_IMAGE,
      ...probes('127.0.0.1', 2381, 'HTTP', '/livez', '/readyz'),
      ports: [
        { name: 'client', containerPort: 2379, protocol: 'TCP' },
        { name: 'peer', containerPort: 2380, protocol: 'TCP' },
        { name: 'metrics', containerPort: 2381, protocol: 'TCP' },
      ],
      resources: { requests: { cpu: '100m', memory: '100Mi' } },
      volumeMounts: [mount('etcd-data', '/var/lib/etcd'), mount('etcd-certs', `${PKI}/etcd`)],
    },
    [hostPath('etcd-certs', `${PKI}/etcd`), hostPath('etcd-data', '/var/lib/etcd')],
    { 'kubeadm.kubernetes.io/etcd.advertise-client-urls': `https://${ip}:2379` },
  );
}

function apiServer(o: ControlPlaneOptions): ObjectInput {
  const ip = o.advertiseAddress;
  return staticPod(
    'kube-apiserver',
    {
      command: [
        'kube-apiserver',
        `--advertise-address=${ip}`,
        '--allow-privileged=true',
        '--authorization-mode=Node,RBAC',
        `--client-ca-file=${PKI}/ca.crt`,
        '--enable-admission-plugins=NodeRestriction',
        '--enable-bootstrap-token-auth=true',
        `--etcd-cafile=${PKI}/etcd/ca.crt`,
        `--etcd-certfile=${PKI}/apiserver-etcd-client.crt`,
        `--etcd-keyfile=${PKI}/apiserver-etcd-client.key`,
        '--etcd-servers=https://127.0.0.1:2379',
        `--kubelet-client-certificate=${PKI}/apiserver-kubelet-client.crt`,
        `--kubelet-client-key=${PKI}/apiserver-kubelet-client.key`,
        '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
        `--proxy-client-cert-file=${PKI}/front-proxy-client.crt`,
        `--proxy-client-key-file=${PKI}/front-proxy-client.key`,
        '--requestheader-allowed-names=front-proxy-client',
        `--requestheader-client-ca-file=${PKI}/front-proxy-ca.crt`,
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-username-headers=X-Remote-User',
        '--runtime-config=',
        `--secure-port=${o.bindPort}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${PKI}/sa.pub`,
        `--service-account-signing-key-file=${PKI}/sa.key`,
        `--service-cluster-ip-range=${o.serviceSubnet}`,
        `--tls-cert-file=${PKI}/apiserver.crt`,
        `--tls-private-key-file=${PKI}/apiserver.key`,
      ],
      image: `registry.k8s.io/kube-apiserver:${o.kubernetesVersion}`,
      ...probes(ip, o.bindPort, 'HTTPS', '/livez'),
      ports: [{ name: 'https', containerPort: o.bindPort, protocol: 'TCP' }],
      resources: { requests: { cpu: '250m' } },
      volumeMounts: CA_MOUNTS,
    },
    CA_VOLUMES,
    { 'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': `${ip}:${o.bindPort}` },
  );
}

function controllerManager(o: ControlPlaneOptions): ObjectInput {
  const conf = '/etc/kubernetes/controller-manager.conf';
  return staticPod(
    'kube-controller-manager',
    {
      command: [
        'kube-controller-manager',
        '--allocate-node-cidrs=true',
        `--authentication-kubeconfig=${conf}`,
        `--authorization-kubeconfig=${conf}`,
        '--bind-address=127.0.0.1',
        `--client-ca-file=${PKI}/ca.crt`,
        `--cluster-cidr=${o.podSubnet}`,
        `--cluster-name=${o.clusterName}`,
        `--cluster-signing-cert-file=${PKI}/ca.crt`,
        `--cluster-signing-key-file=${PKI}/ca.key`,
        '--controllers=*,bootstrapsigner,tokencleaner',
        '--enable-hostpath-provisioner=true',
        `--kubeconfig=${conf}`,
        '--leader-elect=true',
        `--requestheader-client-ca-file=${PKI}/front-proxy-ca.crt`,
        `--root-ca-file=${PKI}/ca.crt`,
        `--service-account-private-key-file=${PKI}/sa.key`,
        `--service-cluster-ip-range=${o.serviceSubnet}`,
        '--use-service-account-credentials=true',
      ],
      image: `registry.k8s.io/kube-controller-manager:${o.kubernetesVersion}`,
      ...probes('127.0.0.1', 10257, 'HTTPS', '/healthz'),
      ports: [{ name: 'probe-port', containerPort: 10257, protocol: 'TCP' }],
      resources: { requests: { cpu: '200m' } },
      volumeMounts: [...CA_MOUNTS, mount('flexvolume-dir', '/usr/libexec/kubernetes/kubelet-plugins/volume/exec'), mount('kubeconfig', conf, true)],
    },
    [...CA_VOLUMES, hostPath('flexvolume-dir', '/usr/libexec/kubernetes/kubelet-plugins/volume/exec'), hostPath('kubeconfig', conf, 'FileOrCreate')],
  );
}

function scheduler(o: ControlPlaneOptions): ObjectInput {
  const conf = '/etc/kubernetes/scheduler.conf';
  return staticPod(
    'kube-scheduler',
    {
      command: [
        'kube-scheduler',
        `--authentication-kubeconfig=${conf}`,
        `--authorization-kubeconfig=${conf}`,
        '--bind-address=127.0.0.1',
        `--kubeconfig=${conf}`,
        '--leader-elect=true',
      ],
      image: `registry.k8s.io/kube-scheduler:${o.kubernetesVersion}`,
      ...probes('127.0.0.1', 10259, 'HTTPS', '/livez'),
      ports: [{ name: 'probe-port', containerPort: 10259, protocol: 'TCP' }],
      resources: { requests: { cpu: '100m' } },
      volumeMounts: [mount('kubeconfig', conf, true)],
    },
    [hostPath('kubeconfig', conf, 'FileOrCreate')],
  );
}

/** The four manifests, by file name, in the order kubeadm writes them. */
export function controlPlaneManifests(o: ControlPlaneOptions): Array<{ file: string; pod: ObjectInput }> {
  const pods = [etcd(o), apiServer(o), controllerManager(o), scheduler(o)];
  return STATIC_POD_FILES.map((file, i) => ({ file, pod: pods[i] }));
}
