#!/usr/bin/env node
// Writes .env.example from src/config/schema.ts (read at run time, so new settings appear on the next run):
// every variable with its default and its one-line meaning. `--check` exits 1 when the file is out of date.
//   npm run env:example            # rewrite .env.example
//   npm run env:example -- --check # CI-style check, writes nothing
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The schema's `settings` object, compiled from TypeScript on the fly. */
export async function loadSettings() {
  const dir = mkdtempSync(path.join(tmpdir(), 'env-example-'));
  try {
    const outfile = path.join(dir, 'schema.mjs');
    await esbuild.build({
      entryPoints: [path.join(root, 'src/config/schema.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'error',
    });
    return (await import(pathToFileURL(outfile).href)).settings;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function render(settings) {
  const lines = [
    '# ilp-nostr-peer: every setting, commented out, with its default and meaning. Generated from',
    '# src/config/schema.ts by `npm run env:example`; do not edit by hand. Copy to .env and uncomment what you',
    '# change (an unset variable takes the default shown). Values are literal, without quotes, as',
    "# `docker run --env-file` and systemd's EnvironmentFile read them. The container image already sets",
    '# DATA_DIR=/data, HOST=0.0.0.0 and PORT=8080: leave those commented out there.',
    '',
  ];
  for (const s of Object.values(settings)) {
    if (/[\r\n]/.test(s.default)) throw new Error(`${s.env}: a default with a line break cannot be written to .env.example`);
    lines.push(`# ${s.description.replace(/\s*\n\s*/g, ' ')}`, `#${s.env}=${s.default}`, '');
  }
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = path.join(root, '.env.example');
  const settings = await loadSettings();
  const text = render(settings);
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      /* missing: out of date */
    }
    if (current !== text) {
      console.error('.env.example is out of date with src/config/schema.ts: run `npm run env:example`');
      process.exit(1);
    }
    console.log('.env.example is up to date');
  } else {
    writeFileSync(file, text);
    console.log(`wrote .env.example (${Object.keys(settings).length} variables)`);
  }
}
