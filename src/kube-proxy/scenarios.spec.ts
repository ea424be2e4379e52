/**
 * The golden scenarios (test/support/kube-proxy/scenarios.ts): each renders to
 * exactly fixtures/kube-proxy/scenarios/<name>.rules (after upstream's
 * canonical sort), every jump lands on a defined chain, and the JSON request
 * fixture next to it is the same request.
 */
import * as fs from 'node:fs';
import { renderRules } from './render';
import { fixturePath, goldenPair, shouldUpdateGoldens } from '../../test/support/kube-proxy/golden';
import { checkRuleJumps } from '../../test/support/kube-proxy/restore-text';
import { scenarios } from '../../test/support/kube-proxy/scenarios';

const all = scenarios();

describe('golden scenarios', () => {
  it('have unique names', () => {
    expect(new Set(all.map((s) => s.name)).size).toBe(all.length);
  });

  describe.each(all.map((s) => [s.name, s] as const))('%s', (name, scenario) => {
    it('renders the golden restore text', () => {
      const result = renderRules(scenario.request);
      const { actual, expected } = goldenPair(result.text, `scenarios/${name}.rules`);
      expect(actual).toBe(expected);
    });

    it('jumps only to chains it defines', () => {
      expect(checkRuleJumps(renderRules(scenario.request).text)).toEqual([]);
    });

    it('has its request as a JSON fixture', () => {
      const file = fixturePath(`scenarios/${name}.json`);
      const json = JSON.stringify(scenario, null, 2) + '\n';
      if (shouldUpdateGoldens()) fs.writeFileSync(file, json);
      expect(fs.readFileSync(file, 'utf8')).toBe(json);
    });
  });

  // The flows (upstream's packet-flow expectations) run through the engine in scenarios.flows.spec.ts.
});
