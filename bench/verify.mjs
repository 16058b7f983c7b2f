// Signature verification options that install from npm here, measured on the same 1,000 signed events.
import { finalizeEvent, generateSecretKey, verifyEvent } from 'nostr-tools/pure';
import * as tiny from 'tiny-secp256k1';
import { initNostrWasm } from 'nostr-wasm';
import { createHash } from 'node:crypto';

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
console.table(rows);
console.log(JSON.stringify({ bench: 'verify', rows }));
