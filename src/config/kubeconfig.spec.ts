import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderKubeconfig, writeKubeconfig } from './kubeconfig';

describe('the kubeconfig written at start-up', () => {
  it('names one cluster, user and context, current, without credentials when there are no tokens', () => {
    expect(parse(renderKubeconfig('http://127.0.0.1:3000'))).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'kube-netsim', cluster: { server: 'http://127.0.0.1:3000' } }],
      users: [{ name: 'kube-netsim', user: {} }],
      contexts: [{ name: 'kube-netsim', context: { cluster: 'kube-netsim', user: 'kube-netsim', namespace: 'default' } }],
      'current-context': 'kube-netsim',
      preferences: {},
    });
  });

  it('carries the token, quoted whatever it holds, and the certificate authority', () => {
    const config = parse(renderKubeconfig('https://[::1]:3000', 'a "tricky": #token', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'));
    expect(config.users[0].user).toEqual({ token: 'a "tricky": #token' });
    expect(config.clusters[0].cluster.server).toBe('https://[::1]:3000');
    expect(Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toContain('MIIB');
  });

  it('is written whole, readable by its owner only, in a directory only its owner can enter', () => {
    const base = mkdtempSync(join(tmpdir(), 'kubeconfig-spec-'));
    try {
      const dir = join(base, 'data');
      const path = writeKubeconfig(dir, 'first');
      expect(path).toBe(join(dir, 'kubeconfig'));
      expect(writeKubeconfig(dir, 'second')).toBe(path);
      expect(readFileSync(path, 'utf8')).toBe('second');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
