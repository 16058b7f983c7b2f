// Signature verification options that install from npm here, measured on the same 1,000 signed events.
import { finalizeEvent, generateSecretKey, verifyEvent } from 'nostr-tools/pure';
import * as tiny from 'tiny-secp256k1';
import { initNostrWasm } from 'nostr-wasm';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';

const events = [];
for (let i = 0; i < 1000; i++) {
  events.push(finalizeEvent({ kind: 1, created_at: 1700000000 + i, tags: [['p', 'a'.repeat(64)]], content: `hello ${i} `.repeat(20) }, generateSecretKey()));
}
const wire = events.map((e) => JSON.stringify(e));

function measure(name, verify) {
  let ok = 0;
  for (const w of wire) if (verify(JSON.parse(w))) ok++;
  if (ok !== wire.length) throw new Error(`${name}: ${ok}/${wire.length} valid`);
  const tampered = JSON.parse(wire[0]);
  tampered.sig = tampered.sig.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  if (verify(tampered)) throw new Error(`${name}: accepted a bad signature`);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < 1500) verify(JSON.parse(wire[n++ % wire.length]));
  const secs = (performance.now() - start) / 1000;
  return { name, opsPerSec: Math.round(n / secs), usPerOp: +((secs * 1e6) / n).toFixed(1) };
}

const idOf = (e) => createHash('sha256').update(JSON.stringify([0, e.pubkey, e.created_at, e.kind, e.tags, e.content])).digest();
const nw = await initNostrWasm();
const rows = [
  measure('nostr-tools verifyEvent (pure JS)', (e) => verifyEvent(e)),
  measure('nostr-wasm verifyEvent', (e) => { try { nw.verifyEvent(e); return true; } catch { return false; } }),
  measure('tiny-secp256k1 verifySchnorr + node sha256', (e) => {
    const id = idOf(e);
    return id.toString('hex') === e.id && tiny.verifySchnorr(id, Buffer.from(e.pubkey, 'hex'), Buffer.from(e.sig, 'hex'));
  }),
];

// Our addon over the system libsecp256k1 (built by `npm run build` when libsecp256k1-dev is installed): called
// on the loop, and in batches of 64 on libuv's thread pool as the relay does (the loop free meanwhile).
const addonFile = new URL('../native/secp256k1/build/Release/nostr_secp256k1.node', import.meta.url).pathname;
if (existsSync(addonFile)) {
  const addon = createRequire(import.meta.url)(addonFile);
  rows.push(measure('native addon verify + node sha256 (on the loop)', (e) => {
    const id = idOf(e);
    return id.toString('hex') === e.id && addon.verify(id, Buffer.from(e.pubkey, 'hex'), Buffer.from(e.sig, 'hex'));
  }));
  const records = Buffer.alloc(wire.length * 128);
  events.forEach((e, i) => {
    records.write(e.id, i * 128, 'hex');
    records.write(e.pubkey, i * 128 + 32, 'hex');
    records.write(e.sig, i * 128 + 64, 'hex');
  });
  const batchRound = () =>
    Promise.all(Array.from({ length: Math.ceil(wire.length / 64) }, (_, b) => {
      const items = records.subarray(b * 64 * 128, Math.min(wire.length, (b + 1) * 64) * 128);
      const results = Buffer.alloc(items.length / 128);
      return new Promise((resolve) => addon.verifyBatch(items, results, () => resolve(results)));
    }));
  const valid = (await batchRound()).reduce((n, r) => n + r.reduce((a, b) => a + b, 0), 0);
  if (valid !== wire.length) throw new Error(`native batch: ${valid}/${wire.length} valid`);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < 1500) n += (await batchRound(), wire.length);
  const secs = (performance.now() - start) / 1000;
  rows.push({ name: `native addon verifyBatch ×64 on the thread pool (${process.env.UV_THREADPOOL_SIZE ?? 4} threads, ${os.availableParallelism()} cores)`, opsPerSec: Math.round(n / secs), usPerOp: +((secs * 1e6) / n).toFixed(1) });
} else {
  console.error('native addon not built (npm run build with libsecp256k1-dev): its rows are left out');
}
console.table(rows);
console.log(JSON.stringify({ bench: 'verify', rows }));
