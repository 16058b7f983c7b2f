// Bundles bench/ilp.ts (our TypeScript modules, as the peer runs them) and runs it: STREAM and ledger rates.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
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
