/**
 * The Kubernetes version kube-netsim presents itself as: `GET /version`, the
 * OpenAPI documents, the control-plane images of the demo cluster and the
 * `/version` a pod reads from `https://kubernetes.default` all say the same.
 */
export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.4' };

/** The API server's `/version` document. */
export function versionInfo() {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.6',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}
