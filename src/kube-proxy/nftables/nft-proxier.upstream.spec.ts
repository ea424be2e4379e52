/**
 * Upstream's nftables proxier test cases (kubernetes/kubernetes
 * pkg/proxy/nftables/proxier_test.go), expressed with our builders. The
 * expected dumps are transcribed under fixtures/kube-proxy/upstream-nftables/
 * and compared in upstream's canonical order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dumpText } from '../../../test/support/nftables/dump';
import { overallObjects } from '../../../test/support/kube-proxy/upstream-cases';
import { canonicalNft, populateNft, upstreamNftProxier } from '../../../test/support/kube-proxy/nftables';

const golden = (name: string) => readFileSync(join(__dirname, '../../../fixtures/kube-proxy/upstream-nftables', name), 'utf8');

describe('TestOverallNFTablesRules', () => {
  it('leaves the table as upstream expects it', () => {
    const { proxier } = upstreamNftProxier();
    populateNft(proxier, overallObjects());
    proxier.sync();
    expect(canonicalNft(dumpText(proxier.table()!))).toBe(canonicalNft(golden('overall.nft')));
  });
});
