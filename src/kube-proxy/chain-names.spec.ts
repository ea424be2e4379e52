import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sha256Hex } from './sha256';
import {
  computeProbability,
  endpointChainName,
  hash16,
  isServiceChainName,
  portProtoHash,
  ProbabilityCache,
  serviceChainName,
  serviceExternalChainName,
  serviceFirewallChainName,
  serviceLocalChainName,
  servicePortNameString,
} from './chain-names';

describe('chain names', () => {
  it.each([
    // Hashes taken from upstream tests and real nodes (reference §4).
    ['default/kubernetes:https', 'tcp', 'KUBE-SVC-NPX46M4PTMTKRN6Y'],
    ['ns1/svc1:p80', 'tcp', 'KUBE-SVC-XPGD46QRK7WJZT7O'],
    ['ns2/svc2:p80', 'tcp', 'KUBE-SVC-GNZBNJ2PO5MGZ6GT'],
    ['ns3/svc3:p80', 'tcp', 'KUBE-SVC-X27LE4BHSL4DOUIK'],
    ['ns4/svc4:p80', 'tcp', 'KUBE-SVC-4SW47YFZTEDKD3PK'],
    ['ns5/svc5:p80', 'tcp', 'KUBE-SVC-NUKIZ6OKUXPJNT4C'],
    ['ns2/svc2:p8080', 'tcp', 'KUBE-SVC-2VJB64SDSIJUP5T6'],
    ['ns4/svc4:p8082', 'tcp', 'KUBE-SVC-EBDQOQU5SJFXRIL3'],
  ])('SVC chain of %s %s is %s', (name, protocol, chain) => {
    expect(serviceChainName(name, protocol)).toBe(chain);
  });

  it('lower-cases the protocol before hashing', () => {
    expect(serviceChainName('ns1/svc1:p80', 'TCP')).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(serviceChainName('ns1/svc1:p80', 'udp')).not.toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
  });

  it('shares one hash between the SVC, SVL, EXT and FW chains of a port', () => {
    const h = portProtoHash('ns5/svc5:p80', 'tcp');
    expect(h).toBe('NUKIZ6OKUXPJNT4C');
    expect(serviceLocalChainName('ns5/svc5:p80', 'tcp')).toBe(`KUBE-SVL-${h}`);
    expect(serviceExternalChainName('ns5/svc5:p80', 'tcp')).toBe(`KUBE-EXT-${h}`);
    expect(serviceFirewallChainName('ns5/svc5:p80', 'tcp')).toBe(`KUBE-FW-${h}`);
  });

  it.each([
    ['ns1/svc1:p80', 'tcp', '10.180.0.1:80', 'KUBE-SEP-SXIVWICOYRO3J4NJ'],
    ['ns1/svc1:p80', 'tcp', '10.0.0.0:80', 'KUBE-SEP-DKGQUZGBKLTPAR56'],
    ['ns5/svc5:p80', 'tcp', '10.180.0.3:80', 'KUBE-SEP-I77PXRDZVX7PMWMN'],
    ['ns3/svc3:p8081', 'tcp', '203.0.113.4:8081', 'KUBE-SEP-RUVVH7YV3PHQBDOS'],
    ['ns4/svc4:p8082', 'tcp', '10.4.0.1:8082', 'KUBE-SEP-SU5STNODRYEWJAUF'],
    ['ns1/svc1:p80', 'tcp', '10.0.1.1:80', 'KUBE-SEP-SNQ3ZNILQDEJNDQO'],
  ])('SEP chain of %s %s %s is %s', (name, protocol, endpoint, chain) => {
    expect(endpointChainName(name, protocol, endpoint)).toBe(chain);
  });

  it('omits the colon for unnamed ports', () => {
    expect(servicePortNameString('ns1', 'svc1', '')).toBe('ns1/svc1');
    expect(servicePortNameString('ns1', 'svc1', 'p80')).toBe('ns1/svc1:p80');
  });

  it('encodes the first 80 bits of SHA-256 in standard base32', () => {
    // sha256("") = e3b0c442 98fc1c14 9afb...; base32 of e3b0c44298fc1c149afb = "4OYMIQUY7QOBJGX3"
    expect(hash16('')).toBe('4OYMIQUY7QOBJGX3');
  });

  it('recognises the chains it may delete as stale', () => {
    for (const c of ['KUBE-SVC-X', 'KUBE-SVL-X', 'KUBE-EXT-X', 'KUBE-FW-X', 'KUBE-SEP-X']) expect(isServiceChainName(c)).toBe(true);
    for (const c of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-MARK-MASQ', 'KUBE-XLB-X', 'KUBE-FIREWALL']) expect(isServiceChainName(c)).toBe(false);
  });
});

describe('computeProbability (upstream TestComputeProbability)', () => {
  it.each([
    [1, '1.0000000000'],
    [2, '0.5000000000'],
    [3, '0.3333333333'],
    [10, '0.1000000000'],
    [100, '0.0100000000'],
    [1000, '0.0010000000'],
    [10000, '0.0001000000'],
    [100000, '0.0000100000'],
    [100001, '0.0000099999'],
  ])('1/%i is %s', (n, text) => {
    expect(computeProbability(n)).toBe(text);
  });

  it('rounds the one exact tie (1/2048) to even, as Go does', () => {
    expect(computeProbability(2048)).toBe('0.0004882812');
    expect(computeProbability(4096)).toBe('0.0002441406');
  });

  it('decreases strictly from 1/2 to 1/100000', () => {
    let prev = 0;
    const violations: number[] = [];
    for (let i = 100000; i > 1; i--) {
      const p = Number(computeProbability(i));
      if (!(p > prev)) violations.push(i);
      prev = p;
    }
    expect(violations).toEqual([]);
  });

  it('caches values', () => {
    const cache = new ProbabilityCache();
    expect(cache.get(3)).toBe('0.3333333333');
    expect(cache.get(2)).toBe('0.5000000000');
  });
});

describe('sha256 (our own, for speed)', () => {
  it.each(['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'a'.repeat(119), 'a'.repeat(1000), 'ns1/svc1:p80tcp10.180.0.1:80', 'ümlaut/ßvc:p€'])(
    'agrees with node:crypto on %p',
    (input) => {
      expect(sha256Hex(input)).toBe(createHash('sha256').update(input, 'utf8').digest('hex'));
    },
  );

  it('agrees with node:crypto on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (input) => sha256Hex(input) === createHash('sha256').update(input, 'utf8').digest('hex')),
      { numRuns: 500 },
    );
  });

  it('gives hash16 as base32 of the digest', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (input) => {
        const digest = createHash('sha256').update(input, 'utf8').digest();
        let bits = '';
        for (const byte of digest.subarray(0, 10)) bits += byte.toString(2).padStart(8, '0');
        let expected = '';
        for (let i = 0; i < 80; i += 5) expected += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[parseInt(bits.slice(i, i + 5), 2)];
        return hash16(input) === expected;
      }),
      { numRuns: 300 },
    );
  });
});
