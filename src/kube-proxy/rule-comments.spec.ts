import { parseServiceRuleComment, serviceRuleComment } from './rule-comments';

describe("kube-proxy's rule comments", () => {
  const web = { namespace: 'default', name: 'web', port: 'http' };
  const unnamed = { namespace: 'default', name: 'db', port: '' };

  it('reads back every comment it builds, for a named and an unnamed port', () => {
    for (const [text, service] of [
      ['default/web:http', web],
      ['default/db', unnamed],
    ] as const) {
      expect(parseServiceRuleComment(serviceRuleComment.entry(text, 'cluster IP'))).toEqual({ kind: 'entry', service, entry: 'cluster IP' });
      expect(parseServiceRuleComment(serviceRuleComment.entry(text, 'loadbalancer IP'))).toEqual({ kind: 'entry', service, entry: 'loadbalancer IP' });
      expect(parseServiceRuleComment(serviceRuleComment.noEndpoints(text))).toEqual({ kind: 'no-endpoints', service });
      expect(parseServiceRuleComment(serviceRuleComment.noLocalEndpoints(text))).toEqual({ kind: 'no-local-endpoints', service });
      expect(parseServiceRuleComment(serviceRuleComment.notAccepted(text, 'KUBE-FW-ABC'))).toEqual({ kind: 'not-accepted', service, firewallChain: 'KUBE-FW-ABC' });
      expect(parseServiceRuleComment(serviceRuleComment.masqueradeExternal(text))).toEqual({ kind: 'masquerade-external', service });
      expect(parseServiceRuleComment(serviceRuleComment.masqueradeLocal(text))).toEqual({ kind: 'masquerade-local', service });
      expect(parseServiceRuleComment(serviceRuleComment.toEndpoint(text, '10.244.1.5:8080'))).toEqual({ kind: 'to-endpoint', service, endpoint: '10.244.1.5:8080' });
      expect(parseServiceRuleComment(text)).toEqual({ kind: 'service', service });
    }
  });

  it('upstream wording', () => {
    expect(serviceRuleComment.noEndpoints('default/web:http')).toBe('default/web:http has no endpoints');
    expect(serviceRuleComment.notAccepted('default/lb:http', 'KUBE-FW-X')).toBe('default/lb:http traffic not accepted by KUBE-FW-X');
    expect(serviceRuleComment.masqueradeLocal('default/web:http')).toBe('masquerade LOCAL traffic for default/web:http external destinations');
  });

  it('says nothing of comments kube-proxy did not write for a Service port', () => {
    expect(parseServiceRuleComment('kubernetes service traffic requiring SNAT')).toBeUndefined();
    expect(parseServiceRuleComment('flanneld masq')).toBeUndefined();
    expect(parseServiceRuleComment(undefined)).toBeUndefined();
  });
});
