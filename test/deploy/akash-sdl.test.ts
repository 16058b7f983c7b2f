import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SDL, validateSDL } from '@akashnetwork/chain-sdk';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { settings } from '../../src/config/schema';

// akash.sdl.yaml, checked offline: chain-sdk's parser (SDL.fromString → manifest, as `akash tx deployment create`
// builds it) and validator, then what they let through (storage class, unit suffixes, the app's port and data dir,
// env names and values the config accepts, no ${…} that Akash would pass on literally).
// Check a private copy (with secrets) before deploying it: AKASH_SDL=/path/to/copy.yaml npx vitest run test/deploy
const root = path.resolve(__dirname, '../..');
const sdlFile = process.env.AKASH_SDL ? path.resolve(process.env.AKASH_SDL) : path.join(root, 'akash.sdl.yaml');
const text = readFileSync(sdlFile, 'utf8');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');

const schemaDefault = (env: string) => Object.values(settings).find((s) => s.env === env)?.default;
const KNOWN_ENV = new Set(Object.values(settings).map((s) => s.env));
const STORAGE_CLASSES = ['beta1', 'beta2', 'beta3'];
// Akash parses sizes like Kubernetes quantities; an unknown suffix is silently read as bytes (512Qx → 512 B).
const SIZE = /^[1-9][0-9]*(\.[0-9]+)?(Ki|Mi|Gi|Ti)$/;
// The hosting this replaces budgeted about $5 a month: the price ceiling must not allow more than ~2.5 AKT a month
// (about $6 at $2.40/AKT). Blocks per month as scripts/akash-cost.mjs counts them (6.174 s blocks, 30.437 days).
const MAX_AKT_PER_MONTH = 2.5;
const BLOCKS_PER_MONTH = (30.437 * 86_400) / 6.174;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Our checks, on top of chain-sdk's; each problem as one line. */
function problems(sdlText: string): string[] {
  const out: string[] = [];
  const doc = yaml.load(sdlText) as Any;
  const services = Object.entries((doc.services ?? {}) as Record<string, Any>);
  if (services.length !== 1) return [`expected exactly one service, found ${services.length}`];
  const [name, svc] = services[0];

  const tag = /^[^@]+:([^:/@]+)$/.exec(svc.image ?? '')?.[1];
  if (tag !== pkg.version) out.push(`image ${svc.image} should be tagged with the package version ${pkg.version}`);

  const env = new Map<string, string>();
  for (const entry of (svc.env ?? []) as unknown[]) {
    if (typeof entry !== 'string' || !entry.includes('=')) {
      out.push(`env entry ${JSON.stringify(entry)} is not NAME=value`);
      continue;
    }
    const i = entry.indexOf('=');
    const [k, v] = [entry.slice(0, i), entry.slice(i + 1)];
    if (!KNOWN_ENV.has(k)) out.push(`env ${k} is not a setting of src/config/schema.ts`);
    if (/\$\{|\$[A-Z_]/.test(v)) out.push(`env ${k}=${v}: Akash does not expand variables; the value would be literal`);
    if (env.has(k)) out.push(`env ${k} is set twice`);
    env.set(k, v);
  }
  try {
    loadConfig(Object.fromEntries(env));
  } catch (err) {
    out.push(`env: ${(err as Error).message}`);
  }

  const port = Number(env.get('PORT') ?? /^ENV[\s\S]*?\bPORT=(\d+)/m.exec(dockerfile)?.[1] ?? schemaDefault('PORT'));
  const exposed = /^EXPOSE\s+(\d+)/m.exec(dockerfile)?.[1];
  if (String(port) !== exposed) out.push(`the app listens on ${port} but the Dockerfile EXPOSEs ${exposed}`);
  const expose = (svc.expose ?? []) as Any[];
  if (expose.length !== 1) out.push(`expected one expose entry, found ${expose.length}`);
  for (const e of expose) {
    if (e.port !== port) out.push(`expose.port ${e.port} is not the port the app listens on (${port})`);
    if (e.as !== 80) out.push(`expose.as ${e.as}: the ingress serves HTTP and WebSocket on 80`);
    if (!(e.to ?? []).some((t: Any) => t.global === true)) out.push('expose is not global');
  }

  const profileName = Object.values((doc.deployment?.[name] ?? {}) as Record<string, Any>)[0]?.profile;
  const resources = doc.profiles?.compute?.[profileName]?.resources as Any | undefined;
  if (!resources) return [...out, `no compute profile for service ${name}`];
  const cpu = Number(String(resources.cpu?.units).replace(/m$/, 'e-3'));
  if (!(cpu >= 0.1)) out.push(`cpu.units ${resources.cpu?.units} is below 0.1`);
  const sizes: [string, string][] = [['memory.size', resources.memory?.size]];
  const storage = ([] as Any[]).concat(resources.storage ?? []);
  storage.forEach((s, i) => sizes.push([`storage[${i}].size`, s.size]));
  for (const [where, size] of sizes) if (!SIZE.test(String(size))) out.push(`${where} "${size}" should be a number with Ki, Mi, Gi or Ti`);
  const bytes = (size: string) => Number.parseFloat(size) * 1024 ** (['Ki', 'Mi', 'Gi', 'Ti'].indexOf(size.slice(-2)) + 1);
  if (SIZE.test(String(resources.memory?.size)) && bytes(resources.memory.size) < 256 * MiB) out.push('memory below 256Mi');

  const persistent = storage.filter((s) => String(s.attributes?.persistent) === 'true');
  if (persistent.length !== 1) out.push(`expected one persistent volume, found ${persistent.length}`);
  const dataDir = env.get('DATA_DIR') ?? /\bDATA_DIR=(\S+)/.exec(dockerfile)?.[1];
  const volume = /^VOLUME\s+\[?"?([^"\]\s]+)/m.exec(dockerfile)?.[1];
  for (const p of persistent) {
    if (p.attributes.class !== 'beta3') {
      out.push(`storage class "${p.attributes.class}": use beta3 (NVMe) for SQLite${STORAGE_CLASSES.includes(p.attributes.class) ? '' : `; Akash knows ${STORAGE_CLASSES.join(', ')}`}`);
    }
    if (SIZE.test(String(p.size)) && bytes(p.size) < 1 * GiB) out.push(`persistent volume ${p.size} is below 1Gi`);
    const mount = svc.params?.storage?.[p.name];
    if (!mount) out.push(`persistent volume ${p.name} is not mounted (params.storage.${p.name})`);
    else {
      if (mount.mount !== dataDir) out.push(`volume mounted at ${mount.mount} but DATA_DIR is ${dataDir}`);
      if (mount.mount !== volume) out.push(`volume mounted at ${mount.mount} but the Dockerfile's VOLUME is ${volume}`);
      if (mount.readOnly) out.push('the data volume must be writable');
    }
  }

  for (const [, placement] of Object.entries((doc.profiles?.placement ?? {}) as Record<string, Any>)) {
    const price = placement.pricing?.[profileName];
    if (!price) out.push(`no pricing for profile ${profileName}`);
    else if (!/^(uakt|uact|ibc\/.+)$/.test(price.denom)) out.push(`pricing denom ${price.denom}`);
    else if ((Number(price.amount) * BLOCKS_PER_MONTH) / 1e6 > MAX_AKT_PER_MONTH) {
      const akt = ((Number(price.amount) * BLOCKS_PER_MONTH) / 1e6).toFixed(1);
      out.push(`pricing ${price.amount} ${price.denom}/block allows ${akt} AKT a month, over the ${MAX_AKT_PER_MONTH} a small relay budgets`);
    }
  }
  const count = Object.values((doc.deployment?.[name] ?? {}) as Record<string, Any>).map((d) => d.count);
  if (count.length !== 1 || count[0] !== 1) out.push(`count ${count.join(',')}: SQLite has one writer, deploy exactly one instance`);
  return out;
}

const sdkErrors = (sdlText: string): string[] => {
  try {
    SDL.fromString(sdlText, 'beta3', 'mainnet');
  } catch (err) {
    return [(err as Error).message];
  }
  const errors = validateSDL(yaml.load(sdlText) as Parameters<typeof validateSDL>[0], 'mainnet');
  return (errors ?? []).map((e) => JSON.stringify(e));
};

describe(`Akash SDL (${path.relative(root, sdlFile)})`, () => {
  it('passes chain-sdk: SDL.fromString(…, beta3, mainnet) and validateSDL', () => {
    expect(sdkErrors(text)).toEqual([]);
  });

  it('builds the manifest we mean: one service, 8080 as 80 global, /data on a beta3 volume', () => {
    const [group] = SDL.fromString(text, 'beta3', 'mainnet').manifest() as Any[];
    expect(group.services).toHaveLength(1);
    const [svc] = group.services;
    expect(svc.expose).toEqual([expect.objectContaining({ port: 8080, externalPort: 80, proto: 'TCP', global: true })]);
    expect(svc.params.storage).toEqual([{ name: 'data', mount: '/data', readOnly: false }]);
    expect(svc.resources.storage).toContainEqual(
      expect.objectContaining({ attributes: [{ key: 'class', value: 'beta3' }, { key: 'persistent', value: 'true' }] }),
    );
    expect(svc.count).toBe(1);
  });

  it('passes our checks (what chain-sdk lets through)', () => {
    expect(problems(text)).toEqual([]);
  });

  describe('our checks catch what chain-sdk accepts', () => {
    const mutate = (from: RegExp | string, to: string) => {
      const next = text.replace(from, to);
      expect(next, `mutation ${from} did not apply`).not.toBe(text);
      return next;
    };
    it.each([
      ['an unknown storage class', /class: beta3/, 'class: beta9', /storage class "beta9"/],
      ['a unit suffix Akash reads as bytes', /size: 512Mi/, 'size: 512Qx', /memory.size "512Qx"/],
      ['a ${…} placeholder', /- LOG_LEVEL=info/, '- DASHBOARD_PASSWORD=${DASHBOARD_PASSWORD}', /does not expand/],
      ['an env name the config does not know', /- LOG_LEVEL=info/, '- LOGLEVEL=info', /LOGLEVEL is not a setting/],
      ['an env value the config refuses', /- LOG_LEVEL=info/, '- LOG_LEVEL=loud', /LOG_LEVEL="loud" is invalid/],
      ['a port the app does not listen on', /- port: 8080/, '- port: 3000', /expose.port 3000/],
      ['a mount that is not DATA_DIR', /mount: \/data/, 'mount: /var/lib/peer', /mounted at \/var\/lib\/peer but DATA_DIR/],
      ['an image tag other than the version', `:${pkg.version}\n`, ':latest\n', /package version/],
      ['more than one instance', /count: 1/, 'count: 2', /exactly one instance/],
      ['a price ceiling far over a small budget', /amount: 5\n/, 'amount: 1000\n', /allows 425\.9 AKT a month/],
    ])('%s', (_what, from, to, message) => {
      const next = mutate(from, to);
      expect(problems(next).join('\n')).toMatch(message);
    });
  });

  it('chain-sdk itself rejects a broken SDL (the harness is live)', () => {
    expect(sdkErrors(text.replace(/mount: \/data/, 'mount: data'))).not.toEqual([]);
    expect(sdkErrors(text.replace(/count: 1/, 'count: 0'))).not.toEqual([]);
    expect(sdkErrors(text.replace(/version: "2.0"/, 'version: "9.9"'))).not.toEqual([]);
  });
});
