/**
 * Upstream's packet-flow tables, run through the real netfilter engine: each
 * golden scenario's rules are loaded into a node's tables as kube-proxy
 * leaves them (restore text, then the jump rules), and each flow's packet is
 * traced with every path enumerated. The flow says which endpoints it may
 * reach (or DROP / REJECT / no DNAT), and whether it is masqueraded.
 */
import { expectedOutput, iptablesScenarioEngine as engineFor, observedFlow as observed } from '../../test/support/kube-proxy/flow-harness';
import { scenarios } from '../../test/support/kube-proxy/scenarios';

const ipv4Scenarios = scenarios().filter((s) => s.request.family === 'IPv4' && s.flows.length > 0);
const ipv6Scenarios = scenarios().filter((s) => s.request.family === 'IPv6' && s.flows.length > 0);

describe('packet-flow tables through the netfilter engine (IPv6: ip6tables)', () => {
  it('has upstream\'s IPv6 cases', () => {
    expect(ipv6Scenarios.length).toBeGreaterThanOrEqual(2);
  });

  describe.each(ipv6Scenarios.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    const engine = engineFor(scenario);
    it.each(scenario.flows.map((f) => [f.name, f] as const))('%s', (_flow, flow) => {
      const expected = expectedOutput(flow);
      const got = observed(engine, flow);
      expect(got.output).toBe(expected);
      if (flow.output !== 'DROP' && flow.output !== 'REJECT') expect(got.masq).toBe(flow.masq);
    });
  });
});

describe('packet-flow tables through the netfilter engine', () => {
  describe.each(ipv4Scenarios.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    const engine = engineFor(scenario);
    it.each(scenario.flows.map((f) => [f.name, f] as const))('%s', (_flow, flow) => {
      const expected = expectedOutput(flow);
      const got = observed(engine, flow);
      expect(got.output).toBe(expected);
      if (flow.output !== 'DROP' && flow.output !== 'REJECT') expect(got.masq).toBe(flow.masq);
    });
  });
});
