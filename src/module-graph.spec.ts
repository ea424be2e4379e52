/**
 * Every module under src/ and ui/src/ is production code: reachable by its
 * imports from the server's entry (src/main.ts) or the browser UI's
 * (ui/src/main.tsx). A module only specs, test/ or bench/ import is test
 * code and belongs in test/support/ (docs/testing.md); one nothing imports
 * is dead. And production code never imports from test/ or bench/: the build
 * (tsconfig.build.json) compiles src/ alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
const ENTRIES = ['src/main.ts', 'ui/src/main.tsx'];
const SOURCE_DIRS = ['src', 'ui/src'];

const isSpec = (file: string) => /\.spec\.tsx?$/.test(file);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(rel);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** The repository-relative file a relative import names, or undefined for a package (or a file that does not exist). */
function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.join(path.dirname(from), specifier);
  return [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`, base].find((f) => fs.existsSync(path.join(ROOT, f)) && fs.statSync(path.join(ROOT, f)).isFile());
}

/** Static imports, re-exports, `import()` and `require()` of a file, resolved. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(path.join(ROOT, file), 'utf8'), true, true);
  return importedFiles.flatMap(({ fileName }) => resolveImport(file, fileName) ?? []);
}

/** Every file the entries reach by their imports, the entries included. */
function reachable(entries: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    pending.push(...importsOf(file));
  }
  return seen;
}

describe('the production module graph', () => {
  const production = reachable(ENTRIES);

  it('reaches every module of src/ and ui/src/ but the specs', () => {
    const modules = SOURCE_DIRS.flatMap(sourceFiles).filter((f) => !isSpec(f));
    expect(modules.length).toBeGreaterThan(300);
    expect(modules.filter((f) => !production.has(f))).toEqual([]);
  });

  it('imports nothing from outside src/ and ui/src/', () => {
    expect([...production].filter((f) => !SOURCE_DIRS.some((dir) => f.startsWith(`${dir}/`)))).toEqual([]);
  });

  it('sees the imports a module makes (the check itself)', () => {
    expect(importsOf('src/main.ts')).toEqual(expect.arrayContaining(['src/app.module.ts', 'src/api/listen.ts']));
    expect(production.has('src/cluster/apply/yaml-documents.ts')).toBe(true);
    expect(production.has('ui/src/App.tsx')).toBe(true);
    expect(production.has('src/module-graph.spec.ts')).toBe(false);
  });
});
