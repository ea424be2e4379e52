import { applyDefaults, formatMark, parseGoDuration, resolveConfig } from './config';
import { refusalOf as thrown } from '../../test/support/common/domain-error';

describe('KubeProxyConfiguration defaults', () => {
  it('fills the fields the iptables proxier reads as upstream defaults.go does', () => {
    expect(applyDefaults({})).toMatchObject({
      mode: 'iptables',
      clusterCIDR: '',
      detectLocalMode: 'ClusterCIDR',
      nodePortAddresses: [],
      iptables: { masqueradeAll: false, masqueradeBit: 14, localhostNodePorts: true, syncPeriod: '30s', minSyncPeriod: '1s' },
    });
  });

  it('resolves to numbers and parsed CIDRs', () => {
    const r = resolveConfig({ clusterCIDR: '10.244.0.0/16,fd00:10:244::/56', iptables: { minSyncPeriod: '250ms' } });
    expect(r.clusterCIDRs).toEqual(['10.244.0.0/16', 'fd00:10:244::/56']);
    expect(r).toMatchObject({ masqueradeBit: 14, localhostNodePorts: true, syncPeriodMs: 30_000, minSyncPeriodMs: 250, preferSameTrafficDistribution: true });
  });

  it('keeps explicit false and zero values', () => {
    const r = resolveConfig({ iptables: { localhostNodePorts: false, masqueradeBit: 0, masqueradeAll: true } });
    expect(r).toMatchObject({ localhostNodePorts: false, masqueradeBit: 0, masqueradeAll: true });
  });
});

describe('KubeProxyConfiguration validation', () => {
  it.each([
    [{ iptables: { masqueradeBit: 32 } }, 'iptables.masqueradeBit', 'must be within the range [0, 31]; got 32'],
    [{ iptables: { masqueradeBit: -1 } }, 'iptables.masqueradeBit', 'must be within the range [0, 31]; got -1'],
    [{ iptables: { syncPeriod: 'soon' } }, 'iptables.syncPeriod', '"soon" is not a duration (e.g. 30s)'],
    [{ iptables: { minSyncPeriod: '-1s' } }, 'iptables.minSyncPeriod', 'must be greater than or equal to 0'],
    [{ iptables: { minSyncPeriod: '1m', syncPeriod: '30s' } }, 'iptables.minSyncPeriod', 'must be less than or equal to iptables.syncPeriod (30s)'],
    [{ clusterCIDR: '10.0.0.0/33' }, 'clusterCIDR', '"10.0.0.0/33" must be a valid CIDR (e.g. 10.100.0.0/16 or fde4:8dba:82e1::/48)'],
    [{ clusterCIDR: '10.0.0.0/8,10.1.0.0/16' }, 'clusterCIDR', 'only one CIDR allowed or a valid DualStack CIDR (e.g. 10.100.0.0/16,fde4:8dba:82e1::/48)'],
    [{ detectLocalMode: 'Magic' as never }, 'detectLocalMode', 'must be one of "ClusterCIDR", "NodeCIDR", "BridgeInterface", "InterfaceNamePrefix"; got "Magic"'],
    [{ detectLocalMode: 'BridgeInterface' as const }, 'detectLocal.bridgeInterface', 'must not be empty when detectLocalMode is BridgeInterface'],
    [{ detectLocalMode: 'InterfaceNamePrefix' as const }, 'detectLocal.interfaceNamePrefix', 'must not be empty when detectLocalMode is InterfaceNamePrefix'],
    [{ nodePortAddresses: ['10.0.0.0/8', 'eth0'] }, 'nodePortAddresses[1]', '"eth0" must be a valid CIDR or "primary"'],
    [{ mode: 'ipvs' }, 'mode', 'the ipvs proxy mode is not emulated (it is deprecated upstream): use "iptables" or "nftables"'],
    [{ mode: 'userspace' }, 'mode', 'Invalid value: "userspace": must be iptables,ipvs,nftables or blank (blank means the best-available proxy [currently iptables])'],
    [{ mode: 'nftables', nftables: { masqueradeBit: 32 } }, 'nftables.masqueradeBit', 'must be within the range [0, 31]; got 32'],
    [{ apiVersion: 'v1' }, 'apiVersion', 'unsupported apiVersion "v1": expected "kubeproxy.config.k8s.io/v1alpha1"'],
  ])('%j is refused at %s', (config, field, message) => {
    const e = thrown(() => resolveConfig(config));
    expect(e.code).toBe('INVALID');
    expect(e.causes).toContainEqual(expect.objectContaining({ field, message }));
    expect(e.message).toBe(`${field}: ${message}`);
  });

  it('reports every bad field, prefixed as the caller names them', () => {
    const e = thrown(() => resolveConfig({ iptables: { masqueradeBit: 40, syncPeriod: '0s' } }, 'config.'));
    expect(e.causes.map((c) => c.field)).toEqual(['config.iptables.masqueradeBit', 'config.iptables.syncPeriod']);
    expect(e.message).toMatch(/^KubeProxyConfiguration is invalid: config.iptables.masqueradeBit/);
  });

  it('accepts "primary" alone in nodePortAddresses', () => {
    expect(resolveConfig({ nodePortAddresses: ['primary'] }).nodePortAddresses).toEqual(['primary']);
    expect(thrown(() => resolveConfig({ nodePortAddresses: ['primary', '10.0.0.0/8'] })).causes[0].field).toBe('nodePortAddresses[0]');
  });
});

describe('formatMark', () => {
  it.each([
    [14, 'padded', '0x00004000'],
    [14, 'minimal', '0x4000'],
    [0, 'padded', '0x00000001'],
    [31, 'padded', '0x80000000'],
    [31, 'minimal', '0x80000000'],
  ] as const)('bit %i %s is %s', (bit, format, text) => {
    expect(formatMark(bit, format)).toBe(text);
  });
});

describe('parseGoDuration', () => {
  it.each([
    ['1s', 1000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['0', 0],
    ['1.5s', 1500],
    ['250us', 0.25],
  ])('%s is %p ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(['', '1', 's', '1x', '1s2'])('refuses %p', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});
