/** Injection tokens for the framework-free core objects the Nest shell hands around. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const CLOCK = Symbol('CLOCK');
export const RANDOM = Symbol('RANDOM');
export const ADDRESS_POOLS = Symbol('ADDRESS_POOLS');
export const CLUSTER = Symbol('CLUSTER');
/** The `LiveCluster` holding the cluster served, which a snapshot restore or a reset replaces; CLUSTER and the tokens built on it follow it. */
export const LIVE_CLUSTER = Symbol('LIVE_CLUSTER');
/** The bearer-token authenticator (`TokenAuthenticator`), or null when TOKEN_AUTH_FILE is not set. */
export const AUTHENTICATOR = Symbol('AUTHENTICATOR');
/** The traffic engine (`TrafficSimulator`), one per app: `POST /netsim/v1/traffic` and `kubectl exec … curl` share its conntrack. */
export const TRAFFIC = Symbol('TRAFFIC');
/** `kubectl exec` / `logs` (`PodExec`), over TRAFFIC. */
export const POD_EXEC = Symbol('POD_EXEC');
