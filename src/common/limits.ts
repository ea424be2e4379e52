/**
 * How deep a request body (JSON or YAML) may nest. Go's JSON decoder, which
 * the API server uses, stops at 10,000 levels; kube-netsim stops at 100, as
 * its store does for objects (no Kubernetes object comes near), so that no
 * walk over a body (validation, copies, the YAML composer) can run out of
 * stack.
 */
export const MAX_NESTING_DEPTH = 100;
