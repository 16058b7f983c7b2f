import { ConfigError, settings, type EnvName, type Settings } from './schema';

export type Config = Readonly<{ [K in keyof Settings]: ReturnType<Settings[K]['parse']> }>;

export type ConfigInput = Partial<Record<EnvName, string | number | bigint>>;

/** Reads every setting from `env` (defaults where unset), failing with one line that names the variable. */
export function loadConfig(env: ConfigInput | NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(settings)) {
    const given = (env as Record<string, unknown>)[s.env];
    const raw = given === undefined ? s.default : String(given);
    try {
      out[key] = s.parse(raw);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      throw new ConfigError(`${s.env}=${JSON.stringify(raw)} is invalid: ${err.message}`);
    }
  }
  for (const name of ['AUTH_REQUIRED', 'PROTECTED_DMS'] as const) {
    const key = name === 'AUTH_REQUIRED' ? 'authRequired' : 'protectedDms';
    if (out[key] && !out.publicUrl) throw new ConfigError(`${name}=true needs PUBLIC_URL (the wss:// URL clients name in NIP-42 AUTH)`);
  }
  if (!!out.dashboardUser !== !!out.dashboardPassword) {
    throw new ConfigError('DASHBOARD_USER and DASHBOARD_PASSWORD must be set together (or both left empty)');
  }
  if (out.backupUrl && out.backupEncryptionKey === undefined) {
    throw new ConfigError('BACKUP_URL is set but BACKUP_ENCRYPTION_KEY is not: give 32 bytes as 64 hex characters (openssl rand -hex 32), or none to upload unencrypted');
  }
  return Object.freeze(out) as Config;
}

export { ConfigError };
