import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError } from './schema';

/** Larger than any settings file; a bound on what a mistaken ENV_FILE (a database, a log) makes us read. */
const MAX_BYTES = 1024 * 1024;

export interface EnvWithFile {
  /** The environment to load settings from: the file's values under the process environment's. */
  env: NodeJS.ProcessEnv;
  /** The file read, absolute, or undefined when none was. */
  file?: string;
}

/**
 * Settings from `ENV_FILE`, else from `./.env` when it exists, in the format of `.env.example` (`docker run
 * --env-file` and systemd read the same file); a variable set in `env` wins over the file's. A named ENV_FILE that
 * cannot be read stops the start, as any bad setting does.
 */
export function withEnvFile(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): EnvWithFile {
  const named = env.ENV_FILE;
  const file = path.resolve(cwd, named || '.env');
  if (!named && !existsSync(file)) return { env };
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > MAX_BYTES) throw new Error(`larger than ${MAX_BYTES} bytes`);
    text = bytes.toString('utf8');
  } catch (err) {
    const what = named ? `ENV_FILE=${JSON.stringify(named)}` : file;
    throw new ConfigError(`${what} cannot be read: ${(err as Error).message}`);
  }
  return { env: { ...parseEnv(text), ...env }, file };
}
