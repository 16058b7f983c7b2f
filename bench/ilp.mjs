// Bundles bench/ilp.ts (our TypeScript modules, as the peer runs them) and runs it: STREAM and ledger rates. Then,
// with a build in dist/, bench/ilp-links.mjs: fulfilled packets per second over BTP and over ILP-over-HTTP.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
// One level below the repo root, so packages and migrations/ resolve from the bundle as from src/.
const out = path.resolve(here, '../.bench-build');
await esbuild.build({
  entryPoints: [path.join(here, 'ilp.ts')],
  outfile: path.join(out, 'ilp.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
try {
  execFileSync(process.execPath, [path.join(out, 'ilp.mjs')], { stdio: 'inherit' });
} finally {
  rmSync(out, { recursive: true, force: true });
}
if (existsSync(path.resolve(here, '../dist/peer.js'))) execFileSync(process.execPath, [path.join(here, 'ilp-links.mjs')], { stdio: 'inherit' });
else console.log('bench/ilp-links.mjs skipped: run `npm run build` first');
