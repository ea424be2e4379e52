/**
 * The browser UI's built files (dist/ui, made by scripts/build-ui.mjs), read
 * once at start-up from that fixed directory: a fixed list of names, so no
 * request ever names a file (docs/security.md). Each is kept in memory with
 * its gzip encoding, made once.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export interface UiAsset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
}

/** The files of a built UI and their media types. */
const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** dist/ui under the project's root, whether this module runs from src/ (tests) or dist/ (built). */
export const UI_DIRECTORY = path.resolve(__dirname, '..', '..', '..', 'dist', 'ui');

/** The built UI's files by name, or null when the UI is not built (no dist/ui/index.html). */
export function loadUiAssets(directory = UI_DIRECTORY): ReadonlyMap<string, UiAsset> | null {
  if (!existsSync(path.join(directory, 'index.html'))) return null;
  const assets = new Map<string, UiAsset>();
  for (const [name, type] of Object.entries(FILES)) {
    const body = readFileSync(path.join(directory, name));
    assets.set(name, { type, body, gzip: gzipSync(body, { level: 9 }) });
  }
  return assets;
}
