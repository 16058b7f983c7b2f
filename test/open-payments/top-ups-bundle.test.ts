// The bundled peer (dist/ copied alone) as a top-up collector: bad operator wallet settings stop the process at
// start with one line that names the variable and never shows the key; good ones start it, and a top-up is created
// at the operator's wallet (R, in this process) through the official client as bundled.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedPeer } from '../../src/library';
import { spawnBundle } from '../helpers/bundle';
import { ClientWallets, startReceiver } from './harness';

const dist = path.resolve(__dirname, '../../dist');
const dir = mkdtempSync(path.join(tmpdir(), 'top-ups-bundle-'));
const peerJs = path.join(dir, 'app', 'peer.js');
let wallet: StartedPeer;
let wallets: ClientWallets;
let env: Record<string, string>;
let key: string;

beforeAll(async () => {
  if (!existsSync(path.join(dist, 'peer.js'))) throw new Error('dist/peer.js is missing: run `npm run build` first (npm test does)');
  cpSync(dist, path.join(dir, 'app'), { recursive: true });
  wallet = await startReceiver();
  wallets = await ClientWallets.start();
  const relay = await wallets.client('bundled-relay');
  key = relay.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  env = {
    DATA_DIR: path.join(dir, 'data'),
    ASSET_CODE: 'USD',
    ASSET_SCALE: '2',
    OPERATOR_WALLET_ADDRESS: `${wallet.httpUrl}/pay/${getPublicKey(generateSecretKey())}`,
    OPERATOR_WALLET_KEY_ID: relay.keyId,
    OPERATOR_WALLET_PRIVATE_KEY: key,
    OPERATOR_WALLET_CLIENT: relay.walletAddressUrl,
    OPERATOR_WALLET_INSECURE: 'true',
  };
});

afterAll(async () => {
  await wallet?.stop();
  await wallets?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the bundle to its exit without blocking this process (R answers from here). */
function runToExit(extra: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [peerJs], { cwd: dir, env: { PATH: process.env.PATH, ...env, ...extra, PORT: '0', HOST: '127.0.0.1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stdout, stderr })));
}

describe('the bundled peer with an operator wallet', () => {
  it('stops at start on a bad key, one line, the key never shown', async () => {
    const bad = key.replace(/[A-Za-z0-9+/]{8}\n-----END/, 'AAAAAAAA\n-----END').replace('PRIVATE KEY-----\n', 'PRIVATE KEY-----\nZZ');
    const r = await runToExit({ OPERATOR_WALLET_PRIVATE_KEY: bad });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('config: OPERATOR_WALLET_PRIVATE_KEY does not hold an Ed25519 private key (PEM, or PEM in base64)\n');
    expect(r.stdout + r.stderr).not.toContain(bad.split('\n')[1]);
  });

  it("stops at start when the wallet's asset is not ASSET_CODE", async () => {
    const r = await runToExit({ ASSET_CODE: 'EUR' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("config: OPERATOR_WALLET_ADDRESS holds USD, but ASSET_CODE is EUR: top-ups must be in the relay's asset\n");
  });

  it('starts with good settings and creates a top-up at the operator wallet', async () => {
    const peer = await spawnBundle(peerJs, env, dir);
    try {
      const pubkey = getPublicKey(generateSecretKey());
      const res = await fetch(`http://127.0.0.1:${peer.port}/pay/${pubkey}/top-ups`, { method: 'POST', body: '{"amount":"250"}' });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { incomingPayment: string; amount: unknown };
      expect(body.incomingPayment).toMatch(new RegExp(`^${wallet.httpUrl}/op/incoming-payments/`));
      expect(body.amount).toEqual({ value: '250', assetCode: 'USD', assetScale: 2 });
      expect(peer.output()).not.toContain(key.split('\n')[1]);
    } finally {
      peer.child.kill('SIGKILL');
    }
  });
});
