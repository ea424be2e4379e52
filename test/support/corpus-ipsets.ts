import { IpsetStore } from '../../src/netfilter/ipset/ipset-store';
import { restoreIpsets } from '../../src/netfilter/ipset/ipset-text';

/**
 * The ipsets a real-dump corpus entry names (`--match-set`, `--add-set`,
 * `--del-set`): the published dumps come without their `ipset save`, so the
 * corpus gives each named set empty, as `hash:net`, to the real tools
 * (fixtures/netfilter-corpus/regenerate.sh, the kernel spec) and to the engine alike.
 */
export function corpusIpsetNames(text: string): string[] {
  return [...new Set([...text.matchAll(/--(?:match-set|add-set|del-set) (\S+)/g)].map((m) => m[1].replace(/"/g, '')))];
}

export function corpusIpsets(text: string): IpsetStore {
  const store = new IpsetStore();
  const names = corpusIpsetNames(text);
  if (names.length > 0) restoreIpsets(store, names.map((n) => `create ${n} hash:net`).join('\n') + '\n', { now: 0 });
  return store;
}
