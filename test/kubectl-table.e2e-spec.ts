import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderKubeconfig, writeKubeconfig } from '../src/config/kubeconfig';
import { DEMO, MIXED_MANIFEST, startListeningApp, TestApp } from './support/test-app';

/**
 * A learner's day with the real kubectl (v1.32) against one kube-netsim
 * server, as a table: each row is a shell line as typed (kubectl reads the
 * kubeconfig kube-netsim writes at start-up), with what it must print and
 * its exit code. Rows run in order, so the table reads as a tutorial; what
 * kubectl does is documented in docs/kubectl.md.
 *
 * The clock is manual: a row `{ advance: N }` lets N simulated seconds pass,
 * and a row with `clockRuns` is a command that waits for time to pass (delete,
 * drain, wait, rollout status): the clock moves on while it runs, as a
 * running clock would. Pod names are never written in the table (their
 * suffixes are random draws): rows select pods by label, and `save` keeps
 * what a row printed as a variable (`$NAME`) for the rows after it.
 */

/** What a row's stdout or stderr must be: exactly a string, matching a pattern, each of several (a string: contained), or a check of its own. */
type Expect = string | RegExp | Array<string | RegExp> | ((text: string, vars: Vars) => void);
type Vars = Record<string, string>;

type Row =
  | {
      /** The shell line, as the learner types it. */
      cmd: string;
      out?: Expect;
      /** stderr; must be empty when not given. */
      err?: Expect;
      /** The exit code; 0 when not given. */
      code?: number;
      /** The command waits for simulated time to pass: advance the clock while it runs. */
      clockRuns?: boolean;
      /** Keep stdout (trimmed) as `$NAME` for later rows, in the shell and in expectations. */
      save?: string;
    }
  /** Let simulated time pass (`POST /netsim/v1/clock/advance`). */
  | { advance: number }
  /** A kube-netsim action kubectl has no verb for (`POST /netsim/v1/...`), such as stopping a kubelet. */
  | { netsim: string };

/** Any stderr (used where kubectl prints warnings that depend on what else runs in the cluster). */
const ANY_STDERR: Expect = () => undefined;

const lines = (...l: string[]) => l.map((s) => `${s}\n`).join('');

const FILES: Record<string, string> = {
  'mixed.yaml': MIXED_MANIFEST,
  'pending.yaml': `apiVersion: v1
kind: Pod
metadata: {name: pending}
spec:
  nodeSelector: {disk: ssd}
  containers:
  - {name: app, image: nginx}
`,
  'hostnet.yaml': `apiVersion: v1
kind: Pod
metadata: {name: hostnet}
spec:
  hostNetwork: true
  nodeName: NODE
  containers:
  - {name: tools, image: nicolaka/netshoot}
`,
  'lively.yaml': `apiVersion: v1
kind: Pod
metadata:
  name: lively
  labels: {app: lively}
spec:
  containers:
  - name: app
    image: nginx
    ports: [{containerPort: 80}]
    livenessProbe:
      httpGet: {path: /healthz, port: 80}
      periodSeconds: 5
`,
  'wrongport.yaml': `apiVersion: v1
kind: Pod
metadata: {name: wrongport}
spec:
  containers:
  - name: app
    image: nginx
    ports: [{containerPort: 80}]
    readinessProbe:
      tcpSocket: {port: 8080}
`,
  'probed.yaml': `apiVersion: v1
kind: Pod
metadata:
  name: probed
  labels: {app: probed}
spec:
  containers:
  - name: app
    image: nginx
    ports: [{containerPort: 80}]
    readinessProbe:
      httpGet: {path: /healthz, port: 80}
      periodSeconds: 5
---
apiVersion: v1
kind: Service
metadata: {name: probed}
spec:
  selector: {app: probed}
  ports: [{port: 80}]
`,
};

/** A web pod's name, alone on its line. */
const WEB_POD = /^web-[a-z0-9]+-[a-z0-9]{5}\n?$/;

const TABLE: Row[] = [
  // --- Looking around the demo cluster -------------------------------------------------------
  { cmd: 'kubectl version', out: [/^Client Version: v1\.32\./m, 'Server Version: v1.32.4\n'] },
  {
    cmd: 'kubectl cluster-info',
    out: [
      'Kubernetes control plane is running at $SERVER\n',
      'CoreDNS is running at $SERVER/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n',
    ],
  },
  {
    cmd: 'kubectl get nodes',
    out: /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\nkind-control-plane\s+Ready\s+control-plane\s+0s\s+v1\.32\.4\nkind-worker\s+Ready\s+<none>\s+0s\s+v1\.32\.4\nkind-worker2\s+Ready\s+<none>\s+0s\s+v1\.32\.4\n$/,
  },
  {
    cmd: 'kubectl get nodes -o wide',
    out: [/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME$/m, /^kind-worker\s+Ready\s+<none>\s+0s\s+v1\.32\.4\s+172\.18\.0\.3\s+<none>\s+/m],
  },
  { cmd: 'kubectl get pods -n kube-system -l k8s-app=kube-dns --no-headers | wc -l', out: '2\n' },
  {
    cmd: 'kubectl get svc',
    out: [
      /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/m,
      /^kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s+0s$/m,
      /^web\s+ClusterIP\s+10\.\S+\s+<none>\s+80\/TCP\s+0s$/m,
      /^web-nodeport\s+NodePort\s+10\.\S+\s+<none>\s+80:30080\/TCP\s+0s$/m,
    ],
  },
  { cmd: "kubectl get svc web -o jsonpath='{.spec.clusterIP}'", save: 'WEB_IP', out: /^10\.\d+\.\d+\.\d+$/ },
  {
    cmd: 'kubectl get svc web -o yaml',
    out: ['kind: Service\n', '  clusterIP: $WEB_IP\n', '  - name: http\n    port: 80\n    protocol: TCP\n    targetPort: http\n', '  sessionAffinity: None\n  type: ClusterIP\nstatus:\n  loadBalancer: {}\n'],
  },
  {
    cmd: "kubectl get pods -l app=web -o jsonpath='{range .items[*]}{.metadata.name}{\"\\n\"}{end}' | sort",
    save: 'WEB_PODS',
    out: (text) => {
      expect(text.trim().split('\n')).toEqual([expect.stringMatching(WEB_POD), expect.stringMatching(WEB_POD), expect.stringMatching(WEB_POD)]);
    },
  },
  {
    cmd: 'kubectl get pods -l app=web -o wide',
    out: (text) => {
      const rows = text.trim().split('\n');
      expect(rows[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/);
      expect(rows.slice(1)).toEqual(Array(3).fill(expect.stringMatching(/^web-\S+\s+1\/1\s+Running\s+0\s+0s\s+10\.244\.[12]\.\d+\s+kind-worker2?\s+<none>\s+<none>$/)));
    },
  },
  {
    cmd: 'kubectl get endpointslices -l kubernetes.io/service-name=web',
    out: /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\nweb-[a-z0-9]{5}\s+IPv4\s+8080\s+10\.244\.\d+\.\d+,10\.244\.\d+\.\d+,10\.244\.\d+\.\d+\s+0s\n$/,
  },
  { cmd: 'kubectl api-resources --api-group=apps --no-headers', out: /^controllerrevisions\s+apps\/v1\s+true\s+ControllerRevision\ndaemonsets\s+ds\s+apps\/v1\s+true\s+DaemonSet\ndeployments\s+deploy\s+apps\/v1\s+true\s+Deployment\nreplicasets\s+rs\s+apps\/v1\s+true\s+ReplicaSet\nstatefulsets\s+sts\s+apps\/v1\s+true\s+StatefulSet\n$/ },
  { cmd: 'kubectl explain svc.spec.ports.targetPort', out: ['KIND:       Service\n', 'VERSION:    v1\n', /^FIELD: +targetPort <IntOrString>$/m, 'IntOrString is a type that can hold an int32 or a string.'] },
  { cmd: 'kubectl auth can-i create pods', out: 'yes\n' },
  { cmd: 'kubectl auth whoami', out: /^ATTRIBUTE\s+VALUE\nUsername\s+system:anonymous\nGroups\s+\[system:unauthenticated\]\n$/ },

  // --- Creating things -----------------------------------------------------------------------
  { cmd: 'kubectl create namespace dev', out: 'namespace/dev created\n' },
  { cmd: 'kubectl create deployment hello --image=nginx --replicas=2 --port=80 -n dev', out: 'deployment.apps/hello created\n' },
  { cmd: 'kubectl get deployment hello -n dev', out: /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nhello\s+2\/2\s+2\s+2\s+0s\n$/ },
  { cmd: 'kubectl config set-context --current --namespace=dev', out: 'Context "kube-netsim" modified.\n' },
  { cmd: 'kubectl get pods -l app=hello --no-headers', out: /^hello-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+0s\nhello-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+0s\n$/ },
  { cmd: 'kubectl config set-context --current --namespace=default', out: 'Context "kube-netsim" modified.\n' },
  { cmd: 'kubectl create service clusterip hello --tcp=80:80 -n dev', out: 'service/hello created\n' },
  { cmd: 'kubectl create service nodeport hello-np --tcp=80:80 --node-port=30100 -n dev', out: 'service/hello-np created\n' },
  { cmd: 'kubectl expose deployment hello -n dev --name=hello-exp --port=8080 --target-port=80', out: 'service/hello-exp exposed\n' },
  // A LoadBalancer gets an address from LOADBALANCER_IP_RANGE at once, as on kind with cloud-provider-kind.
  { cmd: 'kubectl create service loadbalancer hello-lb --tcp=80:80 -n dev', out: 'service/hello-lb created\n' },
  { cmd: 'kubectl create service externalname docs --external-name=kubernetes.io -n dev', out: 'service/docs created\n' },
  {
    cmd: 'kubectl get svc -n dev',
    out: [
      /^docs\s+ExternalName\s+<none>\s+kubernetes\.io\s+<none>\s+0s$/m,
      /^hello\s+ClusterIP\s+10\.\S+\s+<none>\s+80\/TCP\s+0s$/m,
      /^hello-exp\s+ClusterIP\s+10\.\S+\s+<none>\s+8080\/TCP\s+0s$/m,
      /^hello-lb\s+LoadBalancer\s+10\.\S+\s+172\.18\.255\.2\d\d\s+80:3\d{4}\/TCP\s+0s$/m,
      /^hello-np\s+NodePort\s+10\.\S+\s+<none>\s+80:30100\/TCP\s+0s$/m,
    ],
  },
  { cmd: 'kubectl create configmap settings --from-literal=MODE=demo --from-literal=LOG=debug', out: 'configmap/settings created\n' },
  { cmd: "kubectl get configmap settings -o jsonpath='{.data.MODE}'", out: 'demo' },
  { cmd: 'kubectl create secret generic db-pass --from-literal=password=s3cret', out: 'secret/db-pass created\n' },
  { cmd: "kubectl get secret db-pass -o jsonpath='{.data.password}' | base64 -d", out: 's3cret' },
  { cmd: 'kubectl create serviceaccount builder', out: 'serviceaccount/builder created\n' },
  { cmd: 'kubectl create job once --image=busybox -- echo hi', out: 'job.batch/once created\n' },
  { cmd: "kubectl create cronjob nightly --image=busybox --schedule='0 2 * * *' -- echo hi", out: 'cronjob.batch/nightly created\n' },
  {
    cmd: "kubectl create cronjob tick --image=busybox --schedule='0 24 * * *'",
    code: 1,
    out: '',
    err: 'error: failed to create cronjob: CronJob.batch "tick" is invalid: spec.schedule: Invalid value: "0 24 * * *": end of range (24) above maximum (23): 24\n',
  },
  // A Job's pod runs 5 s and succeeds (docs/jobs.md); a finished pod takes no room on its node.
  { cmd: 'kubectl get jobs', out: /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\nonce\s+Running\s+0\/1\s+0s\s+0s\n$/ },
  { advance: 5 },
  { cmd: 'kubectl get jobs', out: /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\nonce\s+Complete\s+1\/1\s+5s\s+5s\n$/ },
  { cmd: 'kubectl create role pod-reader --verb=get,list --resource=pods', out: 'role.rbac.authorization.k8s.io/pod-reader created\n' },
  { cmd: 'kubectl create rolebinding builder-reads --role=pod-reader --serviceaccount=default:builder', out: 'rolebinding.rbac.authorization.k8s.io/builder-reads created\n' },
  { cmd: "kubectl create ingress web --rule='web.example.com/*=web:80'", out: 'ingress.networking.k8s.io/web created\n' },
  { cmd: 'kubectl get ingress web', out: /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\nweb\s+<none>\s+web\.example\.com\s+80\s+0s\n$/ },
  { cmd: 'kubectl create pdb web --selector=app=web --min-available=2', out: 'poddisruptionbudget.policy/web created\n' },
  { cmd: 'kubectl run client --image=busybox -- sleep 3600', out: 'pod/client created\n' },
  { cmd: 'kubectl get pod client', out: /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nclient\s+1\/1\s+Running\s+0\s+0s\n$/ },
  { cmd: "kubectl get pod client -o jsonpath='{.status.podIP}'", save: 'CLIENT_IP', out: /^10\.244\.\d+\.\d+$/ },
  {
    cmd: 'kubectl apply -f mixed.yaml',
    out: lines('configmap/app-config created', 'secret/app-secret created', 'serviceaccount/app created', 'networkpolicy.networking.k8s.io/web-allow created'),
  },
  // A Secret written with stringData is "configured" at every apply, as on any cluster: the live object has data instead.
  {
    cmd: 'kubectl apply -f mixed.yaml',
    out: lines('configmap/app-config unchanged', 'secret/app-secret configured', 'serviceaccount/app unchanged', 'networkpolicy.networking.k8s.io/web-allow unchanged'),
  },
  {
    cmd: 'kubectl get sa,netpol,cm',
    out: [
      /^serviceaccount\/app\s+0\s+0s$/m,
      /^serviceaccount\/builder\s+0\s+5s$/m,
      /^serviceaccount\/default\s+0\s+5s$/m,
      /^NAME\s+POD-SELECTOR\s+AGE\nnetworkpolicy\.networking\.k8s\.io\/web-allow\s+app=web\s+0s$/m,
      /^configmap\/app-config\s+2\s+0s$/m,
      /^configmap\/settings\s+2\s+5s$/m,
    ],
  },

  // --- Labels and annotations ----------------------------------------------------------------
  { cmd: 'kubectl label pod client role=client', out: 'pod/client labeled\n' },
  { cmd: 'kubectl get pods -l role=client -o name', out: 'pod/client\n' },
  { cmd: 'kubectl annotate svc web owner=team-a', out: 'service/web annotated\n' },
  { cmd: "kubectl get svc web -o jsonpath='{.metadata.annotations.owner}'", out: 'team-a' },
  { cmd: "KUBE_EDITOR='sed -i s/demo/live/' kubectl edit configmap settings", out: 'configmap/settings edited\n' },
  { cmd: "kubectl get configmap settings -o jsonpath='{.data.MODE}'", out: 'live' },
  {
    cmd: "sed 's/LOG_LEVEL: debug/LOG_LEVEL: info/' mixed.yaml | kubectl diff -f -",
    code: 1,
    out: [/^diff -u -N /, '-  LOG_LEVEL: debug\n+  LOG_LEVEL: info\n'],
  },
  {
    cmd: "sed 's/^data:/datta:/' mixed.yaml | kubectl apply --validate=strict -f -",
    code: 1,
    out: lines('secret/app-secret configured', 'serviceaccount/app unchanged', 'networkpolicy.networking.k8s.io/web-allow unchanged'),
    // app-config exists: the apply is a patch, refused whole; the other objects are applied.
    err: [/^Error from server \(BadRequest\): error when applying patch:\n/, 'error when patching "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "datta"\n'],
  },
  { cmd: 'kubectl get all -n dev', out: [/^pod\/hello-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running/m, /^service\/hello\s+ClusterIP/m, /^deployment\.apps\/hello\s+2\/2\s+2\s+2\s/m, /^replicaset\.apps\/hello-[a-z0-9]+\s+2\s+2\s+2\s/m] },

  // --- Traffic from inside a pod -------------------------------------------------------------
  {
    cmd: "kubectl exec client -- sh -c 'for i in $(seq 30); do curl -s web; done'",
    out: (text, vars) => {
      const names = text.trim().split('\n');
      expect(names).toHaveLength(30);
      expect([...new Set(names)].sort()).toEqual(vars.WEB_PODS.split('\n'));
    },
  },
  {
    cmd: 'kubectl exec client -- nslookup web',
    out: 'Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tweb.default.svc.cluster.local\nAddress: $WEB_IP\n\n',
  },
  { cmd: 'kubectl exec client -- cat /etc/resolv.conf', out: lines('search default.svc.cluster.local svc.cluster.local cluster.local', 'nameserver 10.96.0.10', 'options ndots:5') },
  { cmd: "kubectl exec client -- sh -c 'env | grep WEB_SERVICE_HOST'", out: 'WEB_SERVICE_HOST=$WEB_IP\n' },
  { cmd: 'kubectl exec client -- curl -s hello.dev', out: /^hello-[a-z0-9]+-[a-z0-9]{5}\n$/ },
  { cmd: 'kubectl exec client -- curl -s hello-exp.dev:8080', out: /^hello-[a-z0-9]+-[a-z0-9]{5}\n$/ },
  { cmd: 'kubectl exec client -- wget -qO- web-nodeport', out: (text, vars) => expect(vars.WEB_PODS.split('\n')).toContain(text.trim()) },
  { cmd: "echo 'hostname; curl -s db:5432' | kubectl exec -i client -- sh", out: 'client\ndb-0\n' },
  {
    cmd: 'kubectl run tmp --rm -i --restart=Never --image=busybox -- wget -qO- web',
    clockRuns: true,
    out: (text, vars) => {
      const [answer, ...rest] = text.split('\n');
      expect(vars.WEB_PODS.split('\n')).toContain(answer);
      expect(rest.join('\n')).toBe('pod "tmp" deleted\n');
    },
    err: "If you don't see a command prompt, try pressing enter.\n",
  },
  { cmd: 'kubectl create service clusterip empty --tcp=80:80', out: 'service/empty created\n' },
  {
    cmd: 'kubectl exec client -- curl empty',
    code: 7,
    // curl's progress meter first (its stdout is not a terminal), then its error, then kubectl's line.
    err: [/^ {2}% Total {4}% Received % Xferd/, /\ncurl: \(7\) Failed to connect to empty port 80 after 0 ms: Couldn't connect to server\ncommand terminated with exit code 7\n$/],
    out: '',
  },
  { cmd: 'kubectl exec client -- curl -sS empty', code: 7, out: '', err: lines("curl: (7) Failed to connect to empty port 80 after 0 ms: Couldn't connect to server", 'command terminated with exit code 7') },
  { cmd: 'kubectl exec client -- curl -sS nope', code: 6, out: '', err: lines('curl: (6) Could not resolve host: nope', 'command terminated with exit code 6') },
  { cmd: "kubectl exec client -- sh -c 'foo'", code: 127, out: '', err: lines('sh: foo: not found', 'command terminated with exit code 127') },
  { cmd: 'kubectl exec client -- curl -s web/from-the-table', save: 'ANSWERED', out: WEB_POD },
  {
    cmd: 'kubectl logs $ANSWERED --tail=1',
    out: /^10\.244\.\d+\.\d+ - - \[01\/Jan\/2026:00:00:\d\d \+0000\] "GET \/from-the-table HTTP\/1\.1" 200 \d+ "-" "curl\/8\.11\.1"\n$/,
  },
  { cmd: "kubectl logs $ANSWERED --tail=1 | cut -d' ' -f1", out: '$CLIENT_IP\n' },
  // The 30 curls of the loop, wget from client and wget from tmp.
  { cmd: 'kubectl logs -l app=web --prefix --tail=-1 | grep -c "GET / HTTP/1.1"', out: '32\n' },
  // The rest of the pod's toolbox (docs/exec.md): each connection is a sampled one through the traffic engine.
  { cmd: 'kubectl exec client -- curl -sI web', out: ['HTTP/1.1 200 OK\r\n', 'Content-Type: text/plain; charset=utf-8\r\n'] },
  {
    cmd: 'kubectl exec client -- curl -sv web',
    out: WEB_POD,
    err: [/^\* Host web:80 was resolved\.\n/, '* Connected to web ($WEB_IP) port 80\n> GET / HTTP/1.1\n> Host: web\n> User-Agent: curl/8.11.1\n', '< HTTP/1.1 200 OK\n'],
  },
  { cmd: 'kubectl exec client -- curl -sS -m 2 10.1.2.3', code: 28, out: '', err: lines('curl: (28) Connection timed out after 2000 milliseconds', 'command terminated with exit code 28') },
  { cmd: 'kubectl exec client -- wget -T 2 -qO- 10.1.2.3', code: 1, out: '', err: lines('wget: download timed out', 'command terminated with exit code 1') },
  { cmd: 'kubectl exec client -- nc -zv web 80', out: '', err: 'web ($WEB_IP:80) open\n' },
  // No Service port 81: kube-proxy has no rule for it, and nothing owns a ClusterIP, so the SYN goes unanswered.
  { cmd: 'kubectl exec client -- nc -zv web 81', code: 1, out: '', err: lines('nc: web ($WEB_IP:81): Connection timed out', 'command terminated with exit code 1') },
  // A Service without endpoints is refused: kube-proxy's REJECT rule.
  { cmd: 'kubectl exec client -- nc -zv empty 80', code: 1, out: '', err: [/^nc: empty \(10\.\d+\.\d+\.\d+:80\): Connection refused\n/, 'command terminated with exit code 1\n'] },
  { cmd: 'kubectl exec client -- nc -vzu kube-dns.kube-system 53', out: '', err: 'kube-dns.kube-system (10.96.0.10:53) open\n' },
  { cmd: 'kubectl exec client -- dig +short web.default.svc.cluster.local', out: '$WEB_IP\n' },
  { cmd: 'kubectl exec client -- host web', out: 'web.default.svc.cluster.local has address $WEB_IP\n' },
  { cmd: 'kubectl exec client -- host nope', code: 1, out: 'Host nope not found: 3(NXDOMAIN)\n', err: 'command terminated with exit code 1\n' },
  // A ClusterIP is a rule, not a host: it answers no ping (iptables mode), while a pod does.
  { cmd: 'kubectl exec client -- ping -c 1 web', code: 1, out: ['PING web ($WEB_IP): 56 data bytes\n', '1 packets transmitted, 0 packets received, 100% packet loss\n'], err: 'command terminated with exit code 1\n' },
  { cmd: "kubectl get pods -l app=web -o jsonpath='{.items[0].status.podIP}'", save: 'WEB_POD_IP', out: /^10\.244\.\d+\.\d+$/ },
  { cmd: 'kubectl exec client -- ping -c 1 $WEB_POD_IP', out: [/^64 bytes from \$WEB_POD_IP: seq=0 ttl=6[24] time=\S+ ms$/m, '1 packets transmitted, 1 packets received, 0% packet loss\n'] },
  { cmd: 'kubectl exec client -- hostname -i', out: '$CLIENT_IP\n' },
  { cmd: 'kubectl exec client -- ip route', out: /^default via 10\.244\.\d+\.1 dev eth0 \n10\.244\.\d+\.0\/24 dev eth0 scope link {2}src \$CLIENT_IP \n$/ },
  { cmd: 'kubectl exec client -- cat /etc/hosts', out: ['# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n', '$CLIENT_IP\tclient\n'] },
  { cmd: 'kubectl exec client -- printenv KUBERNETES_SERVICE_HOST', out: '10.96.0.1\n' },
  // A hostNetwork pod on the client's node sees the node's own netfilter: kube-proxy's rules and conntrack.
  { cmd: "kubectl get pod client -o jsonpath='{.spec.nodeName}'", save: 'CLIENT_NODE', out: /^kind-worker2?$/ },
  { cmd: 'sed s/NODE/$CLIENT_NODE/ hostnet.yaml | kubectl apply -f -', out: 'pod/hostnet created\n' },
  { cmd: 'kubectl get pod hostnet -o wide --no-headers', out: /^hostnet\s+1\/1\s+Running\s+0\s+\S+\s+172\.18\.0\.\d+\s+\$CLIENT_NODE\s+<none>\s+<none>\n$/ },
  {
    cmd: "kubectl exec hostnet -- sh -c \"iptables-save -t nat | grep -- '-A KUBE-SERVICES -d $WEB_IP/32'\"",
    out: /^-A KUBE-SERVICES -d \$WEB_IP\/32 -p tcp -m comment --comment "default\/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-[A-Z0-9]{16}\n$/,
  },
  { cmd: 'kubectl exec client -- curl -s web', out: WEB_POD },
  {
    // The ClusterIP as the client sent it, the pod's address and port (8080) as the reply comes: the DNAT.
    cmd: 'kubectl exec hostnet -- conntrack -L -p tcp -s $CLIENT_IP -d $WEB_IP --dport 80',
    out: (text, vars) => {
      const entries = text.trim().split('\n');
      expect(entries.length).toBeGreaterThanOrEqual(1);
      const ip = (name: string) => vars[name].replace(/\./g, '\\.');
      const entry = new RegExp(`^tcp +6 \\d+ [A-Z_]+ src=${ip('CLIENT_IP')} dst=${ip('WEB_IP')} sport=\\d+ dport=80 src=10\\.244\\.\\d+\\.\\d+ dst=${ip('CLIENT_IP')} sport=8080 dport=\\d+ `);
      expect(entries).toEqual(Array(entries.length).fill(expect.stringMatching(entry)));
    },
    err: /^conntrack v1\.4\.8 \(conntrack-tools\): [1-9]\d* flow entries have been shown\.\n$/,
  },
  { cmd: 'kubectl exec client -- iptables-save', code: 127, out: '', err: lines('sh: iptables-save: not found', 'command terminated with exit code 127') },
  { cmd: 'kubectl delete pod hostnet', clockRuns: true, out: 'pod "hostnet" deleted\n' },
  {
    cmd: 'kubectl port-forward svc/web 8080:80',
    code: 1,
    out: '',
    err: [/^error: error upgrading connection: port-forward is not supported by kube-netsim: /, 'kubectl exec POD -- curl -s SERVICE', 'POST /netsim/v1/traffic'],
  },
  { cmd: 'kubectl top pods', code: 1, out: '', err: 'error: Metrics API not available\n' },
  // Pods hold no files: kubectl cp runs tar in the pod, which the simulated shell does not have.
  { cmd: 'kubectl cp client:/etc/hosts hosts', code: 127, out: 'sh: tar: not found\n', err: 'command terminated with exit code 127\n' },
  // kube-netsim serves HorizontalPodAutoscalers as autoscaling/v2 only; kubectl autoscale creates an autoscaling/v1 one.
  {
    cmd: 'kubectl autoscale deployment web --max=5',
    code: 1,
    out: '',
    err: 'Error from server (NotFound): the server could not find the requested resource (/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers)\n',
  },
  {
    cmd: 'kubectl debug client --image=busybox',
    code: 1,
    out: /^Defaulting debug container name to debugger-[a-z0-9]{5}\.\n$/,
    err: ['error: ephemeral containers are disabled for this cluster (error from server: ', 'kube-netsim runs no ephemeral containers; `kubectl exec POD -- sh` has curl, nslookup, nc and ip'],
  },

  // --- Troubleshooting: a pod that cannot be scheduled, a pod that is not ready --------------
  { cmd: 'kubectl apply -f pending.yaml', out: 'pod/pending created\n' },
  { cmd: 'kubectl get pod pending', out: /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\npending\s+0\/1\s+Pending\s+0\s+0s\n$/ },
  {
    cmd: 'kubectl describe pod pending',
    out: [
      /^Status:\s+Pending$/m,
      /^Node-Selectors:\s+disk=ssd$/m,
      /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/m,
      /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/3 nodes are available: 1 node\(s\) had untolerated taint \{node-role\.kubernetes\.io\/control-plane: \}, 2 node\(s\) didn't match Pod's node affinity\/selector\.\n/,
    ],
  },
  {
    cmd: 'kubectl get events --field-selector type=Warning',
    out: /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n\S+\s+Warning\s+FailedScheduling\s+pod\/pending\s+0\/3 nodes are available: .*\n$/,
  },
  { cmd: 'kubectl events --for pod/pending', out: /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n\S+\s+Warning\s+FailedScheduling\s+Pod\/pending\s+0\/3 nodes are available: / },
  // The fix: give a node the label the pod asks for; the scheduler retries when nodes change.
  { cmd: 'kubectl label node kind-worker disk=ssd', out: 'node/kind-worker labeled\n' },
  { cmd: 'kubectl get pod pending -o wide --no-headers', out: /^pending\s+1\/1\s+Running\s+0\s+0s\s+10\.244\.1\.\d+\s+kind-worker\s+<none>\s+<none>\n$/ },
  { cmd: 'kubectl describe pod pending', out: /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/pending to kind-worker\n/ },
  {
    cmd: 'kubectl describe deployment hello -n dev',
    out: [/^Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable$/m, /Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set hello-[a-z0-9]+ from 0 to 2\n/],
  },
  {
    cmd: 'kubectl describe svc web',
    out: [/^Annotations:\s+owner: team-a$/m, /^IP:\s+\$WEB_IP$/m, /^Endpoints:\s+10\.244\.\d+\.\d+:8080,10\.244\.\d+\.\d+:8080,10\.244\.\d+\.\d+:8080$/m, /^Events:\s+<none>$/m],
  },
  { cmd: 'kubectl apply -f probed.yaml', out: lines('pod/probed created', 'service/probed created') },
  { advance: 1 },
  { cmd: 'kubectl get pod probed', out: /^probed\s+1\/1\s+Running\s+0\s+1s$/m },
  { cmd: 'kubectl exec client -- curl -s probed', out: 'probed\n' },
  // kube-netsim's way to break a pod's app: its probes fail from now on (docs/cluster.md).
  { cmd: 'kubectl annotate pod probed kube-netsim.io/unhealthy=true', out: 'pod/probed annotated\n' },
  { advance: 15 },
  { cmd: 'kubectl get pod probed', out: /^probed\s+0\/1\s+Running\s+0\s+16s$/m },
  { cmd: 'kubectl describe pod probed', out: /Warning\s+Unhealthy\s+\S+\s+kubelet\s+Readiness probe failed: HTTP probe failed with statuscode: 500\n/ },
  { cmd: "kubectl get endpointslices -l kubernetes.io/service-name=probed -o jsonpath='{.items[0].endpoints[0].conditions.ready}'", out: 'false' },
  { cmd: 'kubectl get endpoints probed', out: /^probed\s+<none>\s+16s$/m },
  { cmd: 'kubectl exec client -- curl -sS probed', code: 7, out: '', err: lines("curl: (7) Failed to connect to probed port 80 after 0 ms: Couldn't connect to server", 'command terminated with exit code 7') },
  // Healed, it is ready again after one passing run, and back in its Service.
  { cmd: 'kubectl annotate pod probed kube-netsim.io/unhealthy-', out: 'pod/probed annotated\n' },
  { advance: 5 },
  { cmd: 'kubectl get pod probed', out: /^probed\s+1\/1\s+Running\s+0\s+21s$/m },
  { cmd: 'kubectl exec client -- curl -s probed', out: 'probed\n' },
  { cmd: 'kubectl delete -f probed.yaml', clockRuns: true, out: lines('pod "probed" deleted', 'service "probed" deleted') },
  // A probe to a port the container does not declare is refused: the pod never becomes ready.
  { cmd: 'kubectl apply -f wrongport.yaml', out: 'pod/wrongport created\n' },
  { advance: 30 },
  { cmd: 'kubectl get pod wrongport', out: /^wrongport\s+0\/1\s+Running\s+0\s+30s$/m },
  {
    cmd: 'kubectl describe pod wrongport',
    out: [
      /^ {4}Readiness:\s+tcp-socket :8080 delay=0s timeout=1s period=10s #success=1 #failure=3$/m,
      /^ {2}Ready\s+False $/m,
      /^ {2}ContainersReady\s+False $/m,
      /Warning\s+Unhealthy\s+\S+\s+kubelet\s+Readiness probe failed: dial tcp 10\.244\.\d+\.\d+:8080: connect: connection refused\n/,
    ],
  },
  { cmd: 'kubectl delete pod wrongport', clockRuns: true, out: 'pod "wrongport" deleted\n' },

  // A failing liveness probe restarts the container, then backs off: CrashLoopBackOff (docs/cluster.md).
  { cmd: 'kubectl apply -f lively.yaml', out: 'pod/lively created\n' },
  { advance: 1 },
  { cmd: 'kubectl get pod lively', out: /^lively\s+1\/1\s+Running\s+0\s+1s$/m },
  { cmd: 'kubectl annotate pod lively kube-netsim.io/unhealthy=true', out: 'pod/lively annotated\n' },
  // The probe runs every 5 s from the start: its third failing run in a row (15 s) kills nginx, which exits on SIGTERM
  // a second later and is restarted at once (the first restart has no back-off).
  { advance: 15 },
  { cmd: 'kubectl get pod lively', out: /^lively\s+1\/1\s+Running\s+1 \(0s ago\)\s+16s$/m },
  // The new instance fails too (runs at 16, 21, 26 s) and exits at 27 s: restarted at once, as the kubelet judges the
  // back-off (10 s from now) by the instance before it, gone 11 s ago. So is the next (38 s, back-off 20 s); the one
  // after exits at 49 s, 11 s after the one before, under 20 s: it waits 20 s.
  { advance: 12 },
  { cmd: 'kubectl get pod lively', out: /^lively\s+1\/1\s+Running\s+2 \(1s ago\)\s+28s$/m },
  { advance: 22 },
  { cmd: 'kubectl get pod lively', out: /^lively\s+0\/1\s+CrashLoopBackOff\s+3 \(1s ago\)\s+50s$/m },
  {
    cmd: 'kubectl describe pod lively',
    out: [
      /^ {4}State:\s+Waiting\n\s+Reason:\s+CrashLoopBackOff\n\s+Last State:\s+Terminated\n\s+Reason:\s+Completed\n\s+Exit Code:\s+0\n/m,
      /^ {4}Restart Count:\s+3$/m,
      /^ {4}Liveness:\s+http-get http:\/\/:80\/healthz delay=0s timeout=1s period=5s #success=1 #failure=3$/m,
      /Warning\s+Unhealthy\s+\S+ \(x12 over \S+\)\s+kubelet\s+Liveness probe failed: HTTP probe failed with statuscode: 500\n/,
      /Normal\s+Killing\s+\S+ \(x4 over \S+\)\s+kubelet\s+Container app failed liveness probe, will be restarted\n/,
      /Warning\s+BackOff\s+\S+\s+kubelet\s+Back-off restarting failed container app in pod lively_default\([0-9a-f-]{36}\)\n/,
    ],
  },
  { cmd: "kubectl get pod lively -o jsonpath='{.status.containerStatuses[0].state.waiting.message}'", out: /^back-off 20s restarting failed container=app pod=lively_default\([0-9a-f-]{36}\)$/ },
  { cmd: 'kubectl get events --field-selector reason=BackOff', out: /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n1s\s+Warning\s+BackOff\s+pod\/lively\s+Back-off restarting failed container app in pod lively_default\(/ },
  // Healed, it runs again when the back-off ends (69 s) and stays up.
  { cmd: 'kubectl annotate pod lively kube-netsim.io/unhealthy-', out: 'pod/lively annotated\n' },
  { advance: 30 },
  { cmd: 'kubectl get pod lively', out: /^lively\s+1\/1\s+Running\s+4 \(31s ago\)\s+80s$/m },
  { cmd: 'kubectl delete pod lively', clockRuns: true, out: 'pod "lively" deleted\n' },


  { cmd: 'kubectl patch svc web -p \'{"spec":{"sessionAffinity":"ClientIP"}}\'', out: 'service/web patched\n' },
  { cmd: "kubectl get svc web -o jsonpath='{.spec.sessionAffinityConfig.clientIP.timeoutSeconds}'", out: '10800' },
  // With ClientIP affinity, every curl from the client reaches the same pod.
  { cmd: "kubectl exec client -- sh -c 'for i in $(seq 10); do curl -s web; done' | sort -u | wc -l", out: '1\n' },
  { cmd: 'kubectl patch svc web --type=json -p \'[{"op":"replace","path":"/spec/sessionAffinity","value":"None"}]\'', out: 'service/web patched\n' },

  // --- Scaling and rolling out ---------------------------------------------------------------
  { cmd: 'kubectl scale deployment hello -n dev --replicas=3', out: 'deployment.apps/hello scaled\n' },
  { cmd: "kubectl get deployment hello -n dev -o jsonpath='{.status.readyReplicas}'", out: '3' },
  { cmd: 'kubectl get rs -l app=web -o name', save: 'FIRST_RS', out: /^replicaset\.apps\/web-[a-z0-9]+\n$/ },
  { cmd: 'kubectl set image deployment/web web=nginx:1.28', out: 'deployment.apps/web image updated\n' },
  { cmd: 'kubectl rollout status deployment/web --timeout=60s', clockRuns: true, out: /deployment "web" successfully rolled out\n$/ },
  { cmd: 'kubectl rollout history deployment/web', out: /^deployment\.apps\/web \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n\n$/ },
  { cmd: "kubectl get $FIRST_RS -o jsonpath='{.spec.replicas}'", out: '0' },
  { cmd: 'kubectl rollout undo deployment/web', out: 'deployment.apps/web rolled back\n' },
  { cmd: 'kubectl rollout status deployment/web --timeout=60s', clockRuns: true, out: /deployment "web" successfully rolled out\n$/ },
  // The old ReplicaSet is scaled back up: no third one.
  { cmd: "kubectl get $FIRST_RS -o jsonpath='{.spec.replicas} {.spec.template.spec.containers[0].image}'", out: '3 nginx:1.27' },
  { cmd: 'kubectl get rs -l app=web --no-headers | wc -l', out: '2\n' },
  { cmd: 'kubectl rollout history deployment/web', out: /^REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>\n/m },
  { cmd: 'kubectl rollout restart deployment/web', out: 'deployment.apps/web restarted\n' },
  { cmd: 'kubectl rollout status deployment/web --timeout=60s', clockRuns: true, out: /deployment "web" successfully rolled out\n$/ },
  { advance: 2 },
  { cmd: 'kubectl get pods -l app=web --no-headers', out: (text) => expect(text.trim().split('\n')).toEqual(Array(3).fill(expect.stringMatching(/^web-\S+\s+1\/1\s+Running\s+0\s+\S+$/))) },
  { cmd: 'kubectl get rs -l app=web --no-headers | wc -l', out: '3\n' },

  // --- Deleting pods, node maintenance -------------------------------------------------------
  { cmd: "kubectl get pods -l app=web -o jsonpath='{.items[0].metadata.name}'", save: 'VICTIM', out: WEB_POD },
  // nginx exits on SIGTERM: the delete returns after about a second, not the 30 s grace period.
  { cmd: 'kubectl delete pod $VICTIM', clockRuns: true, out: 'pod "$VICTIM" deleted\n' },
  { cmd: 'kubectl get pods -l app=web --no-headers | grep -c Running', out: '3\n' },
  { cmd: 'kubectl run sleeper --image=busybox -- sleep 3600', out: 'pod/sleeper created\n' },
  // `sleep` ignores SIGTERM: the pod waits out its grace period.
  { cmd: 'kubectl delete pod sleeper --wait=false', out: 'pod "sleeper" deleted\n' },
  { cmd: 'kubectl get pod sleeper', out: /^sleeper\s+1\/1\s+Terminating\s+0\s+\S+$/m },
  { cmd: 'kubectl wait --for=delete pod/sleeper --timeout=120s', clockRuns: true, out: 'pod/sleeper condition met\n' },
  { cmd: 'kubectl get pod sleeper', code: 1, out: '', err: 'Error from server (NotFound): pods "sleeper" not found\n' },
  { cmd: 'kubectl cordon kind-worker', out: 'node/kind-worker cordoned\n' },
  { cmd: 'kubectl get node kind-worker --no-headers', out: /^kind-worker\s+Ready,SchedulingDisabled\s+<none>\s+\S+\s+v1\.32\.4\n$/ },
  { cmd: 'kubectl uncordon kind-worker', out: 'node/kind-worker uncordoned\n' },
  // db-0 is a bare pod: drain refuses it without --force, as on any cluster.
  {
    cmd: 'kubectl drain kind-worker2',
    code: 1,
    out: 'node/kind-worker2 cordoned\n',
    err: [/^error: unable to drain node "kind-worker2" due to error: /, 'cannot delete Pods that declare no controller (use --force to override): default/db-0'],
  },
  {
    cmd: 'kubectl drain kind-worker2 --ignore-daemonsets --force --timeout=120s',
    clockRuns: true,
    out: ['node/kind-worker2 already cordoned\n', 'evicting pod default/db-0\n', 'pod/db-0 evicted\n', /\nnode\/kind-worker2 drained\n$/],
    err: ANY_STDERR,
  },
  { cmd: "kubectl get pods -A --field-selector spec.nodeName=kind-worker2 -l 'app in (web,db,hello)' -o name", out: '' },
  { cmd: "kubectl get pods -l app=web -o jsonpath='{.items[*].spec.nodeName}'", out: 'kind-worker kind-worker kind-worker' },
  { cmd: 'kubectl uncordon kind-worker2', out: 'node/kind-worker2 uncordoned\n' },

  // --- A node fails ---------------------------------------------------------------------------
  { netsim: 'nodes/kind-worker2/kubelet/stop' },
  { advance: 41 },
  { cmd: 'kubectl get node kind-worker2 --no-headers', out: /^kind-worker2\s+NotReady\s+<none>\s+\S+\s+v1\.32\.4\n$/ },
  { cmd: 'kubectl describe node kind-worker2', out: [/^Taints:\s+node\.kubernetes\.io\/unreachable:NoExecute$/m, /Normal\s+NodeNotReady\s+\S+\s+node-controller\s+Node kind-worker2 status is now: NodeNotReady\n/] },
  { netsim: 'nodes/kind-worker2/kubelet/start' },
  { advance: 10 },
  { cmd: 'kubectl get node kind-worker2 --no-headers', out: /^kind-worker2\s+Ready\s+<none>\s+\S+\s+v1\.32\.4\n$/ },
  { cmd: 'kubectl describe node kind-worker2', out: /Normal\s+NodeReady\s+\S+\s+kubelet\s+Node kind-worker2 status is now: NodeReady\n/ },

  // --- Errors, and cleaning up -----------------------------------------------------------------
  { cmd: 'kubectl get svc nope', code: 1, out: '', err: 'Error from server (NotFound): services "nope" not found\n' },
  { cmd: 'kubectl create namespace dev', code: 1, out: '', err: 'Error from server (AlreadyExists): namespaces "dev" already exists\n' },
  { cmd: 'kubectl apply --server-side -f mixed.yaml', code: 1, out: '', err: /server-side apply is not supported by kube-netsim; use client-side `kubectl apply`/ },
  {
    cmd: 'kubectl get pods --field-selector spec.foo=1',
    code: 1,
    out: '',
    err: 'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "spec.foo=1": field label not supported: spec.foo\n',
  },
  {
    cmd: 'kubectl delete -f mixed.yaml',
    out: lines('configmap "app-config" deleted', 'secret "app-secret" deleted', 'serviceaccount "app" deleted', 'networkpolicy.networking.k8s.io "web-allow" deleted'),
  },
  { cmd: 'kubectl delete namespace dev', out: 'namespace "dev" deleted\n' },
  { cmd: 'kubectl get svc -n dev', out: '', err: 'No resources found in dev namespace.\n' },
];

const run = (file: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string }) =>
  new Promise<{ stdout: string; stderr: string; code: number }>((resolve) => {
    execFile(file, args, { ...options, timeout: 150_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ stdout, stderr, code });
    });
  });

const substitute = (text: string, vars: Vars) => text.replace(/\$([A-Z][A-Z0-9_]*)/g, (whole, name: string) => vars[name] ?? whole);
const substitutePattern = (re: RegExp, vars: Vars) => new RegExp(re.source.replace(/\\\$([A-Z][A-Z0-9_]*)/g, (whole, name: string) => (name in vars ? vars[name].replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : whole)), re.flags);

function check(label: string, text: string, expected: Expect, vars: Vars): void {
  if (typeof expected === 'function') return expected(text, vars);
  if (typeof expected === 'string') return expect({ [label]: text }).toEqual({ [label]: substitute(expected, vars) });
  for (const part of Array.isArray(expected) ? expected : [expected]) {
    if (typeof part === 'string') expect({ [label]: text }).toEqual({ [label]: expect.stringContaining(substitute(part, vars)) });
    else expect({ [label]: text }).toEqual({ [label]: expect.stringMatching(substitutePattern(part, vars)) });
  }
}

const title = (row: Row) => ('cmd' in row ? row.cmd : 'advance' in row ? `(${row.advance} s pass)` : `(POST /netsim/v1/${row.netsim})`);

describe('a learner\'s day with the real kubectl, as a table (e2e)', () => {
  // kubectl starts in a few hundred ms, more on a loaded machine; the waiting rows let 30-60 s of simulated time pass.
  jest.setTimeout(150_000);
  let t: TestApp;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const vars: Vars = {};
  let stop = false;

  const advance = async (seconds: number) => {
    const res = await fetch(`http://127.0.0.1:${t.port}/netsim/v1/clock/advance`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ seconds }),
    });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe' });
    t = await startListeningApp(DEMO);
    dir = mkdtempSync(path.join(tmpdir(), 'kube-netsim-table-'));
    for (const [name, text] of Object.entries(FILES)) writeFileSync(path.join(dir, name), text);
    vars.SERVER = `http://127.0.0.1:${t.port}`;
    // The kubeconfig kube-netsim writes at start-up; HOME is the run's own, so kubectl's discovery cache is too.
    const kubeconfig = writeKubeconfig(path.join(dir, '.kube-netsim'), renderKubeconfig(vars.SERVER));
    env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig, LANG: 'C' };
  });
  afterAll(async () => {
    stop = true;
    await t?.close();
  });

  it('has at least 60 kubectl commands, each stating what it prints', () => {
    const commands = TABLE.filter((row) => 'cmd' in row);
    expect(commands.length).toBeGreaterThanOrEqual(60);
    for (const row of commands) expect({ cmd: row.cmd, states: row.out !== undefined || row.save !== undefined }).toEqual({ cmd: row.cmd, states: true });
  });

  for (const row of TABLE) {
    it(title(row), async () => {
      if ('advance' in row) return advance(row.advance);
      if ('netsim' in row) {
        const res = await fetch(`http://127.0.0.1:${t.port}/netsim/v1/${row.netsim}`, { method: 'POST' });
        return expect(res.status).toBeLessThan(300);
      }
      let done = false;
      const running = run('/bin/sh', ['-c', row.cmd], { env: { ...env, ...vars }, cwd: dir }).finally(() => (done = true));
      if (row.clockRuns) {
        // A quarter of a simulated second every 100 ms of wall time, until the command returns (at most 2 simulated
        // minutes): kubectl, even slow to start on a loaded machine, sees the 30 s grace period of `sleeper` pass.
        for (let passed = 0; !done && !stop && passed < 120; passed += 0.25) {
          await advance(0.25);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const { stdout, stderr, code } = await running;
      if (row.save) vars[row.save] = stdout.trim();
      expect({ code, stderr: code === (row.code ?? 0) ? 'as expected' : stderr }).toEqual({ code: row.code ?? 0, stderr: 'as expected' });
      // stderr first: where stdout is not as expected, kubectl's stderr usually says why.
      check('stderr', stderr, row.err ?? '', vars);
      if (row.out !== undefined) check('stdout', stdout, row.out, vars);
    });
  }
});
