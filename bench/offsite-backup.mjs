// Bundles bench/offsite-backup.ts (our TypeScript modules, as the peer runs them) and runs it: off-site backup figures.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
// One level below the repo root, so packages and migrations/ resolve from the bundle as from src/.
const out = path.resolve(here, '../.bench-build');
await esbuild.build({
  entryPoints: [path.join(here, 'offsite-backup.ts')],
  outfile: path.join(out, 'offsite-backup.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
try {
  execFileSync(process.execPath, [path.join(out, 'offsite-backup.mjs'), ...process.argv.slice(2)], { stdio: 'inherit' });
} finally {
  rmSync(out, { recursive: true, force: true });
}
