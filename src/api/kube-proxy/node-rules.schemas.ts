/**
 * OpenAPI schemas of a node's imported rules (`PUT`/`DELETE
 * /netsim/v1/nodes/{node}/iptables`) and of their diff against what
 * kube-proxy would write (`GET .../iptables/diff`). Description only.
 */
import type { SchemaObject } from '@nestjs/swagger';

export const NODE_RULES_BODY_SCHEMA: SchemaObject = {
  oneOf: [
    { type: 'string', description: 'text/plain: the node\'s `iptables-save` (or `iptables-restore`) text.' },
    {
      type: 'object',
      required: ['rules'],
      additionalProperties: false,
      properties: {
        rules: { type: 'string', description: '`iptables-save` or `iptables-restore` text, as `POST /netsim/v1/trace` takes it.' },
        ipsets: { type: 'string', description: "The node's `ipset save` text, for the sets its rules name (they replace the node's sets; none sent: no sets)." },
      },
    },
  ],
  example: { rules: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' },
};

export const NODE_RULES_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['node', 'rules'],
  properties: {
    node: { type: 'string', example: 'kind-worker' },
    rules: { type: 'string', enum: ['imported', 'kube-proxy'], description: "Whose rules the node runs now: imported ones, or its kube-proxy's." },
    importedAt: { type: 'string', format: 'date-time', description: 'When the rules were imported (simulated clock); imported rules only.' },
    loaded: {
      type: 'object',
      description: 'Imported rules only: how many rules were loaded, and how many of them kept as given (`unsupported=keep`).',
      properties: { rules: { type: 'integer' }, kept: { type: 'integer' } },
    },
  },
};

const FINDING_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['kind', 'message'],
  properties: {
    kind: { type: 'string', enum: ['missing', 'stale', 'differs'] },
    servicePort: { type: 'string', example: 'default/web:http', description: "kube-proxy's name of the Service port; absent for a rule about no Service port." },
    endpoint: { type: 'string', example: '10.244.1.7:8080' },
    message: { type: 'string', example: 'default/web:http has a stale endpoint 10.244.1.7:8080 (no pod has address 10.244.1.7: pod gone)' },
  },
};

export const NODE_RULES_DIFF_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['node', 'rules', 'upToDate', 'summary', 'servicePorts', 'findings', 'ignoredChains'],
  properties: {
    node: { type: 'string', example: 'kind-worker' },
    rules: { type: 'string', enum: ['imported', 'kube-proxy'] },
    importedAt: { type: 'string', format: 'date-time' },
    upToDate: { type: 'boolean', description: 'Nothing differs.' },
    summary: {
      type: 'object',
      required: ['missing', 'stale', 'differs'],
      properties: { missing: { type: 'integer' }, stale: { type: 'integer' }, differs: { type: 'integer' } },
    },
    servicePorts: {
      type: 'object',
      required: ['node', 'kubeProxy'],
      properties: { node: { type: 'integer', description: "Service ports the node's rules name." }, kubeProxy: { type: 'integer', description: 'Service ports kube-proxy would write now.' } },
    },
    findings: { type: 'array', items: FINDING_SCHEMA },
    ignoredChains: { type: 'array', items: { type: 'string' }, example: ['nat/FLANNEL-POSTRTG'], description: 'Chains of other programs, not compared (`table/CHAIN`).' },
    unified: { type: 'string', description: '`unified=true`: `diff -u` of the two `iptables-save` texts, kube-proxy\'s and the kubelet\'s lines only.' },
  },
};
