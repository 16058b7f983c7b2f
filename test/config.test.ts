import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withEnvFile } from '../src/config/env-file';
import { ConfigError, loadConfig } from '../src/config/load';
import { settings } from '../src/config/schema';
import { maskSetting, showConfig } from '../src/config/show-config';

const dir = mkdtempSync(path.join(tmpdir(), 'config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('config', () => {
  it('has a default for every setting, and the defaults load', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.host).toBe('0.0.0.0');
    expect(c.dataDir).toBe('./data');
    expect(c.ilpAddress).toBe('test.peer');
    expect(c.assetCode).toBe('USD');
    expect(c.assetScale).toBe(9);
    expect(c.priceBase).toBe(0n);
    expect(c.maxMessageBytes).toBe(262144);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.keys(c).sort()).toEqual(Object.keys(settings).sort());
  });

  it('parses typed values', () => {
    const c = loadConfig({
      PRICE_BASE: '10',
      PRICE_KINDS: '{"1":"50","30023":500}',
      FREE_PUBKEYS: `${'a'.repeat(64)}, ${'b'.repeat(64)}`,
      ILP_PEERS: JSON.stringify([{ id: 'alice', token: 'x'.repeat(20), creditLimit: '1000', routes: ['g.alice'] }]),
    });
    expect(c.priceBase).toBe(10n);
    expect([...c.priceKinds]).toEqual([[1, 50n], [30023, 500n]]);
    expect(c.freePubkeys).toEqual(['a'.repeat(64), 'b'.repeat(64)]);
    expect(c.ilpPeers).toEqual([{ id: 'alice', token: 'x'.repeat(20), creditLimit: 1000n, routes: ['g.alice'] }]);
  });

  it.each([
    ['PORT', 'eighty', /^PORT="eighty" is invalid: expected an integer from 0 to 65535$/],
    ['PORT', '70000', /^PORT="70000" is invalid/],
    ['LOG_LEVEL', 'loud', /^LOG_LEVEL="loud" is invalid: expected one of fatal, error/],
    ['PRICE_BASE', '1.5', /^PRICE_BASE="1.5" is invalid: expected a non-negative integer amount/],
    ['PRICE_BASE', '-1', /^PRICE_BASE="-1" is invalid/],
    ['PRICE_KINDS', '{"1":"x"}', /^PRICE_KINDS=.* is invalid/],
    ['PRICE_KINDS', '[1]', /^PRICE_KINDS=.* is invalid: expected a JSON object/],
    ['FREE_PUBKEYS', 'npub1xyz', /^FREE_PUBKEYS="npub1xyz" is invalid/],
    ['ILP_ADDRESS', 'not an address', /^ILP_ADDRESS=.* is invalid: expected an ILP address/],
    ['ILP_PEERS', '[{"id":"a","token":"short"}]', /^ILP_PEERS=.* is invalid: entry 0: "token"/],
    ['ILP_PEERS', '{', /^ILP_PEERS="\{" is invalid: expected a JSON array/],
    ['ASSET_SCALE', '256', /^ASSET_SCALE="256" is invalid/],
    ['PUBLIC_URL', 'http://x', /^PUBLIC_URL="http:\/\/x" is invalid: expected a ws:\/\/ or wss:\/\/ URL/],
    ['MAX_MESSAGE_BYTES', '10', /^MAX_MESSAGE_BYTES="10" is invalid/],
    ['RELAY_PUBKEY', 'xyz', /^RELAY_PUBKEY="xyz" is invalid/],
  ])('refuses %s=%s with one line naming the variable', (name, value, message) => {
    let err: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('needs both dashboard credentials or neither', () => {
    expect(() => loadConfig({ DASHBOARD_USER: 'admin' })).toThrow(/DASHBOARD_USER and DASHBOARD_PASSWORD/);
    expect(loadConfig({ DASHBOARD_USER: 'admin', DASHBOARD_PASSWORD: 'pw' }).dashboardUser).toBe('admin');
  });
});

describe('settings files (.env, ENV_FILE)', () => {
  const write = (name: string, text: string) => {
    const sub = mkdtempSync(path.join(dir, 'cwd-'));
    writeFileSync(path.join(sub, name), text);
    return sub;
  };

  it('reads ./.env when present, the process environment winning, and says which file it read', () => {
    const cwd = write('.env', '# a comment\nPORT=9000\nPRICE_BASE=5\nRELAY_NAME="my relay"\n');
    const { env, file } = withEnvFile({ PRICE_BASE: '7' }, cwd);
    expect(file).toBe(path.join(cwd, '.env'));
    const c = loadConfig(env);
    expect(c.port).toBe(9000);
    expect(c.priceBase).toBe(7n);
    expect(c.relayName).toBe('my relay');
  });

  it('reads nothing without ./.env, and ENV_FILE instead of ./.env when set', () => {
    const cwd = write('.env', 'PORT=9000\n');
    expect(withEnvFile({}, dir)).toEqual({ env: {} });
    write('other.env', 'PORT=9001\n');
    const other = path.join(write('peer.env', 'PORT=9002\n'), 'peer.env');
    const r = withEnvFile({ ENV_FILE: other }, cwd);
    expect(r.file).toBe(other);
    expect(loadConfig(r.env).port).toBe(9002);
  });

  it('stops with one line when ENV_FILE cannot be read, and a bad value in the file names its variable', () => {
    expect(() => withEnvFile({ ENV_FILE: 'missing.env' }, dir)).toThrow(/^ENV_FILE="missing.env" cannot be read: ENOENT/);
    const cwd = write('.env', 'PORT=eighty\n');
    expect(() => loadConfig(withEnvFile({}, cwd).env)).toThrow('PORT="eighty" is invalid: expected an integer from 0 to 65535');
  });
});

describe('config command', () => {
  it('masks passwords, tokens (also inside ILP_PEERS) and URL passwords, and nothing public', () => {
    expect(maskSetting('DASHBOARD_PASSWORD', 'hunter2')).toBe('********');
    expect(maskSetting('DASHBOARD_PASSWORD', '')).toBe('');
    expect(maskSetting('AWS_SECRET_ACCESS_KEY', 'abc')).toBe('********');
    expect(maskSetting('BACKUP_ENCRYPTION_KEY', 'abc')).toBe('********');
    const peers = JSON.stringify([{ id: 'w', token: 'tok-0123456789abcdef', creditLimit: '5', http: { url: 'https://x', token: 'tok2' } }]);
    expect(JSON.parse(maskSetting('ILP_PEERS', peers))).toEqual([
      { id: 'w', token: '********', creditLimit: '5', http: { url: 'https://x', token: '********' } },
    ]);
    expect(maskSetting('BACKUP_URL', 'https://user:pw@s3.example/b')).toBe('https://user:********@s3.example/b');
    expect(maskSetting('RELAY_PUBKEY', 'a'.repeat(64))).toBe('a'.repeat(64));
    expect(maskSetting('FREE_PUBKEYS', 'b'.repeat(64))).toBe('b'.repeat(64));
  });

  it('prints every setting: those set as lines, defaults commented out, no secret in clear', () => {
    const token = 'tok-0123456789abcdef';
    const lines = showConfig({ PORT: '9000', DASHBOARD_USER: 'admin', DASHBOARD_PASSWORD: 'hunter2', ILP_PEERS: JSON.stringify([{ id: 'w', token, creditLimit: '1' }]) }, '/x/.env');
    const text = lines.join('\n');
    expect(text).toContain('/x/.env');
    expect(lines).toContain('PORT=9000');
    expect(lines).toContain('#HOST=0.0.0.0');
    expect(lines).toContain('DASHBOARD_PASSWORD=********');
    expect(lines).toContain('ILP_PEERS=[{"id":"w","token":"********","creditLimit":"1"}]');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(token);
    for (const s of Object.values(settings)) expect(lines.some((l) => l.startsWith(`${s.env}=`) || l.startsWith(`#${s.env}=`))).toBe(true);
  });

  it('validates like a start', () => {
    expect(() => showConfig({ PORT: 'x' }, undefined)).toThrow(/^PORT="x" is invalid/);
  });
});
