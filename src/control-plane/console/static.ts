// The web console's static assets (one HTML page, its script modules and its stylesheet), which
// live as plain files in src/control-plane/console/static/. tsc copies only .ts to dist/, so the
// compiled module finds them back in the source tree; run from source, they sit beside it.
// Serves a fixed list of names only: a request path never becomes a file path.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface StaticAsset {
  body: Buffer;
  contentType: string;
}

/** URL path below /console/ → file in the static folder. */
const ASSETS: Record<string, { file: string; contentType: string }> = {
  '': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  'console.js': { file: 'console.js', contentType: 'text/javascript; charset=utf-8' },
  'metrics.js': { file: 'metrics.js', contentType: 'text/javascript; charset=utf-8' },
  'console.css': { file: 'console.css', contentType: 'text/css; charset=utf-8' },
};

/** The static folder: beside this module (source tree) or, from dist/src/…, back in src/. */
export function staticDir(): string {
  const candidates = [new URL('./static/', import.meta.url), new URL('../../../../src/control-plane/console/static/', import.meta.url)];
  for (const u of candidates) {
    const dir = fileURLToPath(u);
    if (existsSync(dir + 'index.html')) return dir;
  }
  throw new Error(`web console: no static folder (looked in ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
}

/** Reads every asset once (they are small); keyed by the path below /console/. */
export function loadAssets(dir = staticDir()): Map<string, StaticAsset> {
  const out = new Map<string, StaticAsset>();
  for (const [path, a] of Object.entries(ASSETS)) out.set(path, { body: readFileSync(dir + a.file), contentType: a.contentType });
  return out;
}
