import { loadConfig } from './load';
import { settings } from './schema';

const MASK = '********';

/** Settings whose whole value is a credential, by name (RELAY_PUBKEY and *_PUBKEYS are public, not keys). */
const SECRET_NAME = /(PASSWORD|TOKEN|SECRET|_KEY|_KEY_ID)$/;
/** Keys inside a JSON setting (ILP_PEERS) whose values are credentials. */
const SECRET_KEY = /token|secret|password|private/i;

function maskJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskJson);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && typeof v === 'string' && v !== '' ? MASK : maskJson(v)]),
  );
}

/** The value as `config` shows it: credentials masked, also inside JSON and in the userinfo of a URL. */
export function maskSetting(name: string, raw: string): string {
  if (raw === '') return raw;
  // SETTLEMENT_<CHAIN>_TOKEN is a token contract's public address; an RPC URL's path often holds its API key.
  if (/^SETTLEMENT_\w+_TOKEN$/.test(name)) return raw;
  if (/_RPC_URL$/.test(name)) return raw.replace(/^([a-z]+:\/\/[^/?#]*)[/?#].+$/i, `$1/${MASK}`).replace(/\/\/[^/@]*@/, `//${MASK}@`);
  if (SECRET_NAME.test(name)) return MASK;
  if (/^\s*[[{]/.test(raw)) {
    try {
      return JSON.stringify(maskJson(JSON.parse(raw)));
    } catch {
      return raw;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(raw)) {
    try {
      const u = new URL(raw);
      if (u.password) u.password = MASK;
      return u.href;
    } catch {
      return raw;
    }
  }
  return raw;
}

/**
 * `node dist/peer.js config`: every setting's effective value in `.env` form, after the same validation as a start
 * (an invalid setting throws its one-line ConfigError): those set are lines, the defaults are commented out, so the
 * output is itself a settings file that gives the same configuration.
 */
export function showConfig(env: NodeJS.ProcessEnv, envFile: string | undefined): string[] {
  loadConfig(env);
  const lines = [
    `# effective settings from the process environment, then ${envFile ?? 'no settings file (no ./.env)'}, then the`,
    '# defaults (commented out, as in .env.example); secrets masked',
  ];
  for (const s of Object.values(settings)) {
    const given = env[s.env];
    lines.push(given === undefined ? `#${s.env}=${maskSetting(s.env, s.default)}` : `${s.env}=${maskSetting(s.env, given)}`);
  }
  return lines;
}
