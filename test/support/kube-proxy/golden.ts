/**
 * Golden files under `fixtures/kube-proxy/`: expected restore texts in
 * upstream's canonical order (see `sortRestore`).
 *
 * Files under `upstream/` are transcribed from upstream's proxier_test.go and
 * are never rewritten. Our own scenario goldens can be regenerated with
 * `UPDATE_GOLDEN=1 npx jest --selectProjects unit --testPathPatterns src/kube-proxy`;
 * review the diff before committing it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sortRestore } from './restore-text';

export const FIXTURES_DIR = path.resolve(__dirname, '../../../fixtures/kube-proxy');

export function fixturePath(name: string): string {
  return path.join(FIXTURES_DIR, name);
}

export function readFixture(name: string): string {
  return fs.readFileSync(fixturePath(name), 'utf8');
}

export function shouldUpdateGoldens(): boolean {
  return process.env.UPDATE_GOLDEN === '1';
}

/**
 * The canonically sorted `actual` next to the golden file's text, ready for
 * `expect(actual).toBe(expected)` (a readable line diff on mismatch). With
 * UPDATE_GOLDEN=1 a non-upstream golden is (re)written first.
 */
export function goldenPair(actualRestoreText: string, name: string): { actual: string; expected: string } {
  const actual = sortRestore(actualRestoreText);
  const file = fixturePath(name);
  if (shouldUpdateGoldens() && !name.startsWith('upstream/')) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
  }
  const expected = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `<missing golden file ${name}>\n`;
  return { actual, expected };
}
