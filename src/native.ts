import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

declare const __BUNDLED__: boolean | undefined;

/** True inside dist/peer.js, where native files and migrations sit beside the bundle. */
export const bundled = typeof __BUNDLED__ !== 'undefined' && __BUNDLED__;

function hereDir(): string {
  // The CJS bundle has __dirname; the ESM sources (tests, tsc) have import.meta.url.
  return bundled ? __dirname : path.dirname(fileURLToPath(import.meta.url));
}

/** Path of a native addon copied beside the bundle, or undefined when running from sources. */
export function nativeFile(name: string): string | undefined {
  if (!bundled) return undefined;
  const file = path.join(hereDir(), name);
  return existsSync(file) ? file : undefined;
}

export function migrationsDir(): string {
  return bundled ? path.join(hereDir(), 'migrations') : path.join(hereDir(), '..', 'migrations');
}

/**
 * Loads one of our own optional N-API addons: beside the bundle in dist/, or from its node-gyp build folder when
 * running from sources. Undefined when it was not built; throws when it exists but cannot load (e.g. a missing
 * system library), so the caller can say why it falls back.
 */
export function loadAddon<T>(file: string, buildDir: string): T | undefined {
  const location = bundled ? path.join(hereDir(), file) : path.join(hereDir(), '..', buildDir, file);
  if (!existsSync(location)) return undefined;
  return createRequire(bundled ? __filename : import.meta.url)(location) as T;
}

/** The bundle itself (dist/peer.js), to run its subcommands in a child process; undefined from sources. */
export function bundleFile(): string | undefined {
  return bundled ? __filename : undefined;
}

/** The dashboard's static files: dist/dashboard in the bundle, src/ops/dashboard/static from sources. */
export function dashboardDir(): string {
  return bundled ? path.join(hereDir(), 'dashboard') : path.join(hereDir(), 'ops', 'dashboard', 'static');
}
