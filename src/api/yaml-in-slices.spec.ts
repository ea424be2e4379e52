import { parse, stringify } from 'yaml';
import { stringifyYamlInSlices, YAML_OPTIONS } from './yaml-in-slices';

describe('stringifyYamlInSlices', () => {
  const document = {
    apiVersion: 'netsim.kube-netsim.io/v1',
    kind: 'Snapshot',
    time: '2026-01-01T00:00:00.000Z',
    configuration: { serviceNodePortRange: '30000-32767', clock: 'manual' },
    objects: [
      { kind: 'ConfigMap', metadata: { name: 'a', labels: { enabled: 'yes' } }, data: { script: 'line one\n\n  indented after an empty line\n', mode: '0777', empty: '' } },
      { kind: 'Pod', spec: { containers: [{ name: 'c', args: ['--x', 'no'] }], tolerations: [] }, status: { podIP: '10.244.1.2', lastProbeTime: null } },
    ],
    kubelets: [],
  };

  it('writes what stringify of the whole document writes, byte for byte', async () => {
    expect(await stringifyYamlInSlices(document)).toBe(stringify(document, YAML_OPTIONS));
  });

  it('reads back as the document, YAML 1.1 strings quoted', async () => {
    const text = await stringifyYamlInSlices(document, 0);
    expect(parse(text, { version: '1.1' })).toEqual(document);
    expect(text).toContain('enabled: "yes"');
    expect(text).toContain('mode: "0777"');
  });
});
