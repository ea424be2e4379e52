/**
 * Golden files: fixtures/ipset/*.ipset are `ipset restore` inputs; each
 * *.ipset-save beside it is what the real `ipset save` (7.17) printed after
 * restoring it (fixtures/ipset/regenerate.sh). Printing what we read must
 * give those bytes (elements in the kernel's bucket order, after table
 * resizes and deletions), and the .ipset-save text must read back to itself.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { IpsetStore } from './ipset-store';
import { printIpsetSave, restoreIpsets } from './ipset-text';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'ipset');
const names = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.ipset'))
  .map((f) => f.slice(0, -'.ipset'.length))
  .sort();

function read(name: string, ext: string): string {
  return readFileSync(join(FIXTURES, `${name}.${ext}`), 'utf8');
}

function saved(text: string): string {
  const store = new IpsetStore();
  restoreIpsets(store, text, { now: 0 });
  return printIpsetSave(store, 0);
}

describe('golden ipset save files', () => {
  it('has the fixtures, each with its .ipset-save', () => {
    expect(names.length).toBeGreaterThanOrEqual(3);
    for (const name of names) expect(read(name, 'ipset-save').length).toBeGreaterThan(0);
  });

  it.each(names)('%s prints as the real ipset save printed it', (name) => {
    expect(saved(read(name, 'ipset')).split('\n')).toEqual(read(name, 'ipset-save').split('\n'));
  });

  it.each(names)('%s.ipset-save reads back to itself', (name) => {
    const save = read(name, 'ipset-save');
    expect(saved(save)).toBe(save);
  });
});
