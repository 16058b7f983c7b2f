// `settlement deploy|status|close` of the bundled peer against the in-process chain, served over HTTP JSON-RPC;
// and the checks at start: key file mode, chain id, contract address. The key never appears in any output.
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberToHex, type Abi, type Address, type Hex } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { maskSetting } from '../../src/config/show-config';
import { databaseFile } from '../../src/peer/database-file';
import { ChannelStore } from '../../src/settlement/channel-store';
import { openDatabase } from '../../src/storage/database';
import type { StreamChannelClient } from '../../src/settlement/chain';
import { channelIdOf, signVoucher } from '../../src/settlement/contract';
import { startChain, type TestChain } from './helpers/chain';
import { serveRpc } from './helpers/rpc-bridge';

const dist = path.resolve(__dirname, '../../dist');
const dir = mkdtempSync(path.join(tmpdir(), 'settlement-cli-'));
const app = path.join(dir, 'app');
const KEY_N = 7;
const keyHex = numberToHex(0x5e771e00n + BigInt(KEY_N), { size: 32 });

let chain: TestChain;
let rpc: { url: string; close: () => Promise<void> };
let relay: PrivateKeyAccount, other: PrivateKeyAccount;
let token: Address;
let env: Record<string, string>;

function run(args: string[], extra: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(app, 'peer.js'), ...args], { cwd: dir, env: { PATH: process.env.PATH!, ...env, ...extra } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const result = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

async function mint(to: Address, amount: bigint) {
  const c = await chain.clients(other);
  const hash = await c.wallet!.writeContract({ address: token, abi: chain.fixtureAbi('TestToken') as Abi, functionName: 'mint', args: [to, amount], account: other, chain: c.wallet!.chain });
  await chain.public.waitForTransactionReceipt({ hash, pollingInterval: 50 });
}

beforeAll(async () => {
  if (!existsSync(path.join(dist, 'peer.js'))) throw new Error('dist/peer.js is missing: run `npm run build` first (npm test does)');
  cpSync(dist, app, { recursive: true });
  chain = await startChain();
  rpc = await serveRpc(chain.provider);
  relay = await chain.account(KEY_N);
  other = await chain.account(8);
  token = await chain.deployFixture('TestToken', other);
  const keyFile = path.join(dir, 'evm.key');
  writeFileSync(keyFile, `${keyHex}\n`, { mode: 0o600 });
  env = {
    SETTLEMENT_BASE_RPC_URL: rpc.url,
    SETTLEMENT_BASE_CHAIN_ID: '31337',
    SETTLEMENT_BASE_TOKEN: token,
    SETTLEMENT_BASE_PRIVATE_KEY_FILE: keyFile,
    SETTLEMENT_CLOSE_GRACE_PERIOD: '2h',
  };
});

afterAll(async () => {
  await rpc?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('settlement commands', () => {
  it('refuse to start on a key file others can read, a wrong chain id or a missing key, naming the variable', { timeout: 60_000 }, async () => {
    const loose = path.join(dir, 'loose.key');
    writeFileSync(loose, keyHex);
    chmodSync(loose, 0o644);
    const r1 = await run(['settlement', 'status'], { SETTLEMENT_BASE_PRIVATE_KEY_FILE: loose });
    expect(r1.code).toBe(1);
    expect(r1.stderr).toBe(`config: SETTLEMENT_BASE_PRIVATE_KEY_FILE=${loose} is mode 0644: a key file must be readable by its owner only (chmod 600)\n`);
    const r2 = await run(['settlement', 'deploy'], { SETTLEMENT_BASE_CHAIN_ID: '8453' });
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/^config: SETTLEMENT_BASE_CHAIN_ID=8453 does not match the RPC at SETTLEMENT_BASE_RPC_URL: the RPC serves chain id 31337, expected 8453\n$/);
    const r3 = await run(['settlement', 'deploy'], { SETTLEMENT_BASE_PRIVATE_KEY_FILE: '' });
    expect(r3.stderr).toMatch(/^config: SETTLEMENT_BASE_PRIVATE_KEY_FILE is not set/);
    const garbage = path.join(dir, 'garbage.key');
    writeFileSync(garbage, 'not a key', { mode: 0o600 });
    expect((await run(['settlement', 'deploy'], { SETTLEMENT_BASE_PRIVATE_KEY_FILE: garbage })).stderr).toBe(
      `config: SETTLEMENT_BASE_PRIVATE_KEY_FILE=${garbage} does not hold a key (expected 0x and 64 hex characters)\n`,
    );
    const r4 = await run(['settlement', 'status'], { SETTLEMENT_BASE_CHANNEL_ADDRESS: other.address });
    expect(r4.stderr).toBe(`config: SETTLEMENT_BASE_CHANNEL_ADDRESS=${other.address} holds no contract on chain 31337\n`);
    const r6 = await run(['settlement', 'status'], { SETTLEMENT_BASE_TOKEN: other.address });
    expect(r6.stderr).toBe(`config: SETTLEMENT_BASE_TOKEN=${other.address} holds no contract on chain 31337 (native: the chain's coin)\n`);
    const r5 = await run(['settlement', 'status'], { SETTLEMENT_BASE_RPC_URL: 'http://127.0.0.1:1/' });
    expect(r5.stderr).toMatch(/^error: SETTLEMENT_BASE_RPC_URL: the RPC did not answer/);
    expect((await run(['settlement', 'deploy', '--chain', 'mars'])).stderr).toBe('usage: unknown chain "mars"; expected base or cronos\n');
    expect((await run(['settlement', 'status'], { SETTLEMENT_BASE_CHANNEL_ADDRESS: '0x1234' })).stderr).toBe(
      'config: SETTLEMENT_BASE_CHANNEL_ADDRESS="0x1234" is invalid: expected a 0x-prefixed 20-byte hex address, or empty\n',
    );
    expect((await run(['settlement', 'deploy'], { SETTLEMENT_CLOSE_GRACE_PERIOD: '0' })).stderr).toBe(
      'config: SETTLEMENT_CLOSE_GRACE_PERIOD="0" is invalid: expected a duration above 0, such as 6h or 1d\n',
    );
    expect((await run(['settlement', 'status'], { SETTLEMENT_BASE_RPC_URL: 'ws://x' })).stderr).toMatch(/^config: SETTLEMENT_BASE_RPC_URL="ws:\/\/x" is invalid/);
    for (const r of [r1, r2, r3, r4, r5]) expect(r.stdout + r.stderr).not.toContain(keyHex.slice(2));
  });

  // Fifteen runs of the bundled CLI, each a fresh process: slow on a loaded machine, so a longer timeout.
  it('deploy, status and close: the payer path (request, wait, withdraw) and the payee path (close with a voucher)', { timeout: 120_000 }, async () => {
    const d = await run(['settlement', 'deploy', '--chain', 'base']);
    expect(d.stderr).toBe('');
    const deployed = result(d.stdout);
    expect(deployed).toMatchObject({ chain: 'base', chainId: 31337, closeGracePeriod: 7200 });
    expect(d.stdout).toContain(`now set SETTLEMENT_BASE_CHANNEL_ADDRESS=${deployed.address} and SETTLEMENT_BASE_START_BLOCK=${deployed.block}`);
    const address = deployed.address as Address;
    env.SETTLEMENT_BASE_CHANNEL_ADDRESS = address;
    env.SETTLEMENT_BASE_START_BLOCK = String(deployed.block);

    // The relay pays `other` on one channel and is paid by `other` on another.
    await mint(relay.address, 5000n);
    await mint(other.address, 5000n);
    const asRelay: StreamChannelClient = await chain.channelClient(relay, address);
    const asOther: StreamChannelClient = await chain.channelClient(other, address);
    const outgoing = await asRelay.open({ payee: other.address, token, deposit: 1000n });
    const incoming = await asOther.open({ payee: relay.address, token, deposit: 2000n });
    await asOther.settle(outgoing.key, 100n, await signVoucher(relay, { ...asRelay.scope, channelId: outgoing.channelId, cumulativeAmount: 100n }));

    const s = await run(['settlement', 'status']);
    expect(s.stderr).toBe('');
    const st = result(s.stdout);
    expect(st).toMatchObject({ chain: 'base', account: relay.address, tokenBalance: '4000', contract: address, closeGracePeriod: '7200' });
    expect(st.channels).toEqual([
      { channelId: outgoing.channelId, role: 'payer', peer: other.address, token, deposit: '1000', settled: '100', closeRequestedAt: '0', graceEndsAt: null, finalized: false },
      { channelId: incoming.channelId, role: 'payee', peer: other.address, token, deposit: '2000', settled: '0', closeRequestedAt: '0', graceEndsAt: null, finalized: false },
    ]);
    expect(s.stdout).toContain(`settlement: ${outgoing.channelId} payer with ${other.address}: deposit 1000, settled 100, open`);

    // payer: request, then wait, then withdraw after the grace period
    const c1 = await run(['settlement', 'close', outgoing.channelId]);
    expect(result(c1.stdout)).toMatchObject({ action: 'requestClose' });
    await chain.increaseTime(60);
    const c2 = await run(['settlement', 'close', outgoing.channelId]);
    expect(result(c2.stdout)).toMatchObject({ action: 'wait' });
    expect(c2.stdout).toMatch(/close already requested; 71\d\d s of grace left/);
    expect((await run(['settlement', 'status'])).stdout).toMatch(/payer with .*: deposit 1000, settled 100, closing, 71\d\d s of grace left/);
    await chain.increaseTime(7200);
    const c3 = await run(['settlement', 'close', outgoing.channelId]);
    expect(result(c3.stdout)).toMatchObject({ action: 'withdraw', refunded: '900' });

    // payee: a voucher is needed (or --settled-only), then close pays it and refunds the rest
    const noVoucher = await run(['settlement', 'close', incoming.channelId]);
    expect(noVoucher.code).toBe(1);
    expect(noVoucher.stderr).toMatch(/^usage: as the payee, give the best voucher with --amount and --signature/);
    const sig: Hex = await signVoucher(other, { ...asOther.scope, channelId: incoming.channelId, cumulativeAmount: 1500n });
    const c4 = await run(['settlement', 'close', incoming.channelId, '--amount', '1500', '--signature', sig]);
    expect(c4.stderr).toBe('');
    expect(result(c4.stdout)).toMatchObject({ action: 'close', paid: '1500', refunded: '500' });
    expect(await asRelay.getChannel(incoming.channelId)).toMatchObject({ settled: 1500n, finalized: true });
    const final = result((await run(['settlement', 'status'])).stdout);
    expect(final.tokenBalance).toBe(String(4000n + 900n + 1500n));
    expect(final.channels.map((c: { finalized: boolean }) => c.finalized)).toEqual([true, true]);
    expect(result((await run(['settlement', 'close', incoming.channelId])).stdout)).toMatchObject({ action: 'none', finalized: true });
    const unknown = channelIdOf({ ...incoming.key, salt: `0x${'ab'.repeat(32)}` }, asOther.scope);
    expect((await run(['settlement', 'close', unknown])).stderr).toMatch(/^usage: channel 0x[0-9a-f]{64} is not one we pay or are paid on/);
  });

  it('status reads this peer\'s database read-only: per channel the peer, direction, best voucher, redeemed, unredeemed and gas; summed in the JSON line', { timeout: 60_000 }, async () => {
    const dataDir = path.join(dir, 'peer-data');
    const db = openDatabase(databaseFile(dataDir));
    const incoming = `0x${'1a'.repeat(32)}` as Hex;
    const outgoing = `0x${'2b'.repeat(32)}` as Hex;
    const cronos = `0x${'3c'.repeat(32)}` as Hex;
    try {
      const store = new ChannelStore(db);
      const key = { payer: other.address, payee: relay.address, token, salt: `0x${'00'.repeat(32)}` as Hex, authorizedSigner: other.address };
      const state = (deposit: bigint, settled: bigint) => ({ payer: other.address, payee: relay.address, deposit, settled, closeRequestedAt: 0n, finalized: false });
      db.transaction(() => {
        store.insert({ ...key, channelId: incoming, chain: 'base', peer: 'alice', direction: 'incoming' }, state(2000n, 500n), 1);
        store.setBest(incoming, 1500n, `0x${'ee'.repeat(65)}`);
        store.setTx(incoming, { hash: `0x${'01'.repeat(32)}`, gasUsed: 60_000n, fee: 60_000n * 10n ** 9n }, 2);
        store.insert({ ...key, payer: relay.address, payee: other.address, channelId: outgoing, chain: 'base', peer: 'bob', direction: 'outgoing' }, state(1000n, 0n), 3);
        store.setBest(outgoing, 700n, `0x${'ee'.repeat(65)}`);
        store.setAcked(outgoing, 600n);
        store.setTx(outgoing, { hash: `0x${'02'.repeat(32)}`, gasUsed: 90_000n, fee: 90_000n * 10n ** 9n }, 4);
        store.setTx(outgoing, { hash: `0x${'03'.repeat(32)}`, gasUsed: 40_000n, fee: 40_000n * 10n ** 9n }, 5);
        // another chain's channel is not this chain's
        store.insert({ ...key, channelId: cronos, chain: 'cronos', peer: 'carol', direction: 'incoming' }, state(10n, 0n), 6);
      })();
    } finally {
      db.close();
    }
    const s = await run(['settlement', 'status', '--chain', 'base'], { DATA_DIR: dataDir });
    expect(s.stderr).toBe('');
    expect(s.stdout).toContain(`settlement: peer alice incoming ${incoming}: deposit 2000, best voucher held 1500, redeemed 500, unredeemed 1000, gas 60000 (0.00006 native)\n`);
    expect(s.stdout).toContain(`settlement: peer bob outgoing ${outgoing}: deposit 1000, best voucher sent 700 (peer confirmed 600), redeemed 0, unredeemed 700, gas 130000 (0.00013 native)\n`);
    expect(s.stdout).toContain('settlement: peer database: 1500 held in vouchers, 500 redeemed, 1000 unredeemed; gas spent 190000 (0.00019 native)\n');
    expect(s.stdout).not.toContain('carol');
    const st = result(s.stdout);
    // the on-chain part is as before; the database's after it
    expect(st).toMatchObject({ chain: 'base', account: relay.address, database: databaseFile(dataDir), vouchersHeld: '1500', redeemed: '500', unredeemed: '1000', gasUsed: '190000', fees: String(190_000n * 10n ** 9n) });
    expect(st.peerChannels).toEqual([
      { channelId: incoming, peer: 'alice', direction: 'incoming', deposit: '2000', bestVoucher: '1500', acknowledged: null, redeemed: '500', unredeemed: '1000', gasUsed: '60000', fees: String(60_000n * 10n ** 9n), lastTx: `0x${'01'.repeat(32)}`, finalized: false },
      { channelId: outgoing, peer: 'bob', direction: 'outgoing', deposit: '1000', bestVoucher: '700', acknowledged: '600', redeemed: '0', unredeemed: '700', gasUsed: '130000', fees: String(130_000n * 10n ** 9n), lastTx: `0x${'03'.repeat(32)}`, finalized: false },
    ]);
    // no database in DATA_DIR: said, and the chain part still printed
    const none = await run(['settlement', 'status'], { DATA_DIR: path.join(dir, 'empty-data') });
    expect(none.stdout).toContain(`settlement: no peer database at ${databaseFile(path.join(dir, 'empty-data'))} (DATA_DIR): vouchers and gas not shown`);
    expect(result(none.stdout)).toMatchObject({ database: null, peerChannels: [], gasUsed: '0' });
  });

  it('`config` shows a settlement RPC URL without the API key in its path, and token addresses in full', () => {
    expect(maskSetting('SETTLEMENT_BASE_RPC_URL', 'https://base-mainnet.g.alchemy.com/v2/SECRETKEY')).toBe('https://base-mainnet.g.alchemy.com/********');
    expect(maskSetting('SETTLEMENT_BASE_RPC_URL', 'https://user:pw@rpc.example/')).toBe('https://********@rpc.example/');
    expect(maskSetting('SETTLEMENT_BASE_RPC_URL', 'https://mainnet.base.org')).toBe('https://mainnet.base.org');
    expect(maskSetting('SETTLEMENT_BASE_TOKEN', '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913')).toBe('0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913');
  });
});
