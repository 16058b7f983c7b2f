// Voucher verification throughput, one core: what a creditor spends checking a peer's EIP-712 voucher
// (`Voucher(bytes32 channelId,uint128 cumulativeAmount)`) before crediting it. Bundles src/settlement/contract.ts
// as the peer runs it and compares it with viem's pure-JS recovery (the field's ~700/s figure).
//   node bench/vouchers.mjs
// Figures are from one run on this machine; nothing asserts a time.
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import esbuild from 'esbuild';
import { hashTypedData, recoverTypedDataAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { writeChannelArtifact } from '../scripts/solidity.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, '../.bench-build');
writeChannelArtifact();
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [path.join(here, '../src/settlement/contract.ts')],
  outfile: path.join(out, 'contract.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
const c = await import(pathToFileURL(path.join(out, 'contract.mjs')).href);
rmSync(out, { recursive: true, force: true });

const payer = privateKeyToAccount(`0x${'11'.repeat(32)}`);
const scope = { chainId: 8453, contract: '0x' + 'c0'.repeat(20) };
const vouchers = [];
for (let i = 0; i < 200; i++) {
  const v = { ...scope, channelId: `0x${(i + 1).toString(16).padStart(64, '0')}`, cumulativeAmount: 1_000_000n * BigInt(i + 1) };
  vouchers.push({ v, sig: await c.signVoucher(payer, v) });
}

async function measure(name, fn) {
  for (const x of vouchers.slice(0, 20)) if ((await fn(x)) === false) throw new Error(`${name}: rejected a good voucher`);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < 1500) await fn(vouchers[n++ % vouchers.length]);
  const secs = (performance.now() - start) / 1000;
  return { name, perSecond: Math.round(n / secs), usEach: +((secs * 1e6) / n).toFixed(1) };
}

const rows = [
  await measure('viem recoverTypedDataAddress (pure JS, noble)', async ({ v, sig }) => (await recoverTypedDataAddress({ ...c.voucherTypedData(v), signature: sig })) === payer.address),
  await measure('recoverVoucherSigner (ours: cached domain, tiny-secp256k1 WASM)', ({ v, sig }) => c.recoverVoucherSigner(v, sig) === payer.address),
  await measure('voucherDigest only (ours)', ({ v }) => c.voucherDigest(v).length === 66),
  await measure('viem hashTypedData only', ({ v }) => hashTypedData(c.voucherTypedData(v)).length === 66),
  await measure('signVoucher (viem signTypedData)', async ({ v }) => (await c.signVoucher(payer, v)).length === 132),
];
console.log(`voucher verification, one core of ${os.cpus()[0]?.model ?? 'unknown'} (Node ${process.version})`);
for (const r of rows) console.log(`${r.name.padEnd(68)} ${String(r.perSecond).padStart(8)}/s ${String(r.usEach).padStart(8)} µs`);
console.log(JSON.stringify(rows));
