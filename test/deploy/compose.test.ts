import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { settings } from '../../src/config/schema';

// compose.yaml and compose.prod.yaml, parsed and held against the image (Dockerfile) and the settings schema: the
// port, the volume, the healthcheck and the environment must be the ones the image and the peer actually use.
const root = path.resolve(__dirname, '../..');
type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const compose = yaml.load(readFileSync(path.join(root, 'compose.yaml'), 'utf8')) as Any;
const prod = yaml.load(readFileSync(path.join(root, 'compose.prod.yaml'), 'utf8')) as Any;
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const KNOWN_ENV = new Set(Object.values(settings).map((s) => s.env));

/** `ENV A=1 \ B=2` of the runtime stage. */
function imageEnv(): Record<string, string> {
  const m = /\nENV ((?:[^\n]*\\\n)*[^\n]*)/.exec(dockerfile.slice(dockerfile.lastIndexOf('\nFROM ')))!;
  return Object.fromEntries([...m[1].matchAll(/([A-Z_]+)=(\S+)/g)].map((x) => [x[1], x[2]]));
}
const exposed = Number(/\nEXPOSE (\d+)/.exec(dockerfile)![1]);
const volume = JSON.parse(/\nVOLUME (\[.*\])/.exec(dockerfile)![1]) as string[];
const healthcheck = /\nHEALTHCHECK (.*) CMD (\[.*\])/.exec(dockerfile)!;

describe('compose.yaml', () => {
  const peer = compose.services.peer as Any;

  it('runs the image of this version, restarting unless stopped, with settings from .env', () => {
    expect(peer.image).toBe(`ghcr.io/ilp-nostr-peer/ilp-nostr-peer:${pkg.version}`);
    expect(peer.build).toBe('.');
    expect(peer.restart).toBe('unless-stopped');
    expect(peer.env_file).toBe('.env');
  });

  it('publishes the port the image exposes and the peer listens on', () => {
    const env = imageEnv();
    expect(Number(env.PORT)).toBe(exposed);
    expect(peer.environment.PORT).toBe(env.PORT);
    expect(peer.environment.HOST).toBe('0.0.0.0');
    expect(peer.ports).toEqual([`${exposed}:${exposed}`]);
  });

  it('mounts a named volume where the image keeps DATA_DIR', () => {
    expect(volume).toEqual([imageEnv().DATA_DIR]);
    expect(peer.environment.DATA_DIR).toBe(imageEnv().DATA_DIR);
    const [name, target] = (peer.volumes as string[])[0].split(':');
    expect(target).toBe(imageEnv().DATA_DIR);
    expect(compose.volumes).toHaveProperty(name);
  });

  it('checks health as the image does', () => {
    expect(peer.healthcheck.test).toEqual(['CMD', ...JSON.parse(healthcheck[2])]);
    const opts = Object.fromEntries([...healthcheck[1].matchAll(/--([a-z-]+)=(\S+)/g)].map((x) => [x[1].replace('-', '_'), x[2]]));
    expect(peer.healthcheck).toMatchObject({ interval: opts.interval, timeout: opts.timeout, start_period: opts.start_period, retries: Number(opts.retries) });
  });

  it('sets only real settings, and values the peer accepts', () => {
    for (const k of Object.keys(peer.environment)) expect(KNOWN_ENV.has(k), k).toBe(true);
    expect(() => loadConfig(peer.environment)).not.toThrow();
  });

  it('gives the peer time to drain on stop', () => {
    expect(peer.stop_signal).toBe(/\nSTOPSIGNAL (\S+)/.exec(dockerfile)![1]);
    expect(Number(/^(\d+)s$/.exec(peer.stop_grace_period)![1])).toBeGreaterThan(10);
  });

  it('has the tunnel only in its profile, running cloudflared with TUNNEL_TOKEN once the peer is healthy', () => {
    const t = compose.services.tunnel as Any;
    expect(t.profiles).toEqual(['tunnel']);
    expect(t.image).toMatch(/^docker\.io\/cloudflare\/cloudflared:\d{4}\.\d+\.\d+$/);
    expect(t.command).toEqual(['tunnel', '--no-autoupdate', 'run']);
    expect(t.environment.TUNNEL_TOKEN).toBe('${TUNNEL_TOKEN:-}');
    expect(t.depends_on.peer.condition).toBe('service_healthy');
    expect(t.ports).toBeUndefined();
  });
});

describe('compose.prod.yaml', () => {
  it('limits resources, keeps the root filesystem read-only and forbids gaining privileges, for both services', () => {
    expect(Object.keys(prod.services).sort()).toEqual(Object.keys(compose.services).sort());
    for (const s of Object.values(prod.services) as Any[]) {
      expect(s.read_only).toBe(true);
      expect(s.security_opt).toContain('no-new-privileges:true');
      expect(s.deploy.resources.limits.memory).toMatch(/^\d+M$/);
      expect(Number(s.deploy.resources.limits.cpus)).toBeGreaterThan(0);
    }
  });

  it('leaves the peer its volume as the only writable place but /tmp, and at least the memory the SDL gives it', () => {
    const p = prod.services.peer as Any;
    expect(p.volumes).toBeUndefined();
    expect(p.tmpfs).toEqual([expect.stringMatching(/^\/tmp:/)]);
    const sdl = yaml.load(readFileSync(path.join(root, 'akash.sdl.yaml'), 'utf8')) as Any;
    const sdlMemory = parseInt(sdl.profiles.compute.peer.resources.memory.size, 10);
    expect(parseInt(p.deploy.resources.limits.memory, 10)).toBeGreaterThanOrEqual(sdlMemory);
  });
});
