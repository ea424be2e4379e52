import { createPrivateKey, X509Certificate } from 'node:crypto';
import { selfSignedCertificate } from './self-signed-certificate';

describe('selfSignedCertificate', () => {
  const now = new Date('2026-12-07T03:00:00Z');
  const { cert, key } = selfSignedCertificate(['10.1.2.3', 'fd00::1', 'my-laptop'], now);
  const x509 = new X509Certificate(cert);

  it('is a CA certificate signed by its own key, for a year from an hour before now', () => {
    expect(x509.ca).toBe(true);
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(x509.subject).toBe('CN=kube-netsim');
    expect(x509.issuer).toBe('CN=kube-netsim');
    expect(new Date(x509.validFrom).toISOString()).toBe('2026-12-07T02:00:00.000Z');
    expect(new Date(x509.validTo).toISOString()).toBe('2027-12-07T03:00:00.000Z');
    expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it('names localhost, both loopback addresses and the given hosts', () => {
    expect(x509.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.1.2.3, IP Address:FD00:0:0:0:0:0:0:1, DNS:my-laptop');
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.checkIP('::1')).toBe('::1');
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkIP('10.9.9.9')).toBeUndefined();
  });

  it('writes dates from 2050 on as GeneralizedTime', () => {
    const late = new X509Certificate(selfSignedCertificate([], new Date('2060-01-01T00:00:00Z')).cert);
    expect(new Date(late.validTo).toISOString()).toBe('2060-12-31T00:00:00.000Z');
  });
});
