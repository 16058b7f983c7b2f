// SPSP answers, npub decoding, stateless credentials and the kept server secret.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { npubEncode } from 'nostr-tools/nip19';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSharedSecretFromToken } from '../../src/ilp';
import { decodeNpub, parsePubkey } from '../../src/payments/npub';
import { loadServerSecret } from '../../src/payments/server-secret';
import { spspResponse } from '../../src/payments/spsp';
import { StreamCredentials } from '../../src/payments/stream-credentials';
import { openDatabase } from '../../src/storage/database';
import { Harness, OfficialCrypto } from './harness';

const credentials = new StreamCredentials(randomBytes(32), 'test.peer');
const pubkey = getPublicKey(generateSecretKey());

function body(path: string) {
  const r = spspResponse(path, credentials);
  return { ...r, json: JSON.parse(r.body) as Record<string, string> };
}

const tokenOf = (destination: string) => destination.slice('test.peer.'.length);

describe('SPSP', () => {
  it('answers /pay/<pubkey> with an spsp4 credential, no-cache and CORS', () => {
    const r = body(`/pay/${pubkey}`);
    expect(r.status).toBe(200);
    expect(r.statusText).toBe('200 OK');
    expect(Object.fromEntries(r.headers)).toEqual({
      'Content-Type': 'application/spsp4+json',
      'Cache-Control': 'no-cache',
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Headers': 'web-monetization-id',
    });
    expect(Object.keys(r.json).sort()).toEqual(['destination_account', 'shared_secret']);
    expect(r.json.destination_account).toMatch(/^test\.peer\.[A-Za-z0-9_-]+$/);
    expect(Buffer.from(r.json.shared_secret, 'base64')).toHaveLength(32);
    const ticket = credentials.open(tokenOf(r.json.destination_account))!;
    expect(ticket.pubkey).toBe(pubkey);
    expect(ticket.account).toBe(`liabilities/balances/${pubkey}`);
    expect(Buffer.from(ticket.sharedSecret).toString('base64')).toBe(r.json.shared_secret);
  });

  it('maps an npub and upper-case hex to the same lowercase account', () => {
    for (const id of [npubEncode(pubkey), pubkey.toUpperCase(), pubkey]) {
      const r = body(`/pay/${id}`);
      expect(r.status).toBe(200);
      expect(credentials.open(tokenOf(r.json.destination_account))!.account).toBe(`liabilities/balances/${pubkey}`);
    }
  });

  it('pays the operator at /.well-known/pay, and ignores a query string', () => {
    for (const p of ['/.well-known/pay', '/.well-known/pay?x=1']) {
      const r = body(p);
      expect(r.status).toBe(200);
      const ticket = credentials.open(tokenOf(r.json.destination_account))!;
      expect(ticket.pubkey).toBeUndefined();
      expect(ticket.account).toBe('equity/owner');
    }
  });

  it('gives a fresh credential per request', () => {
    const a = body(`/pay/${pubkey}`).json;
    const b = body(`/pay/${pubkey}`).json;
    expect(a.destination_account).not.toBe(b.destination_account);
    expect(a.shared_secret).not.toBe(b.shared_secret);
  });

  it.each([
    ['short hex', `/pay/${pubkey.slice(1)}`],
    ['non-hex', `/pay/${'g'.repeat(64)}`],
    ['npub with a bad checksum', `/pay/${npubEncode(pubkey).slice(0, -1)}${npubEncode(pubkey).endsWith('q') ? 'p' : 'q'}`],
    ['nsec-like prefix', `/pay/nsec1${npubEncode(pubkey).slice(5)}`],
    ['empty', '/pay/'],
    ['nested', `/pay/${pubkey}/x`],
    ['another path', '/elsewhere'],
  ])('404 InvalidReceiverError for %s', (_, p) => {
    const r = body(p);
    expect(r.status).toBe(404);
    expect(r.json.id).toBe('InvalidReceiverError');
    expect(typeof r.json.message).toBe('string');
    expect(Object.fromEntries(r.headers)['Access-Control-Allow-Origin']).toBe('*');
  });
});

describe('npub', () => {
  it('decodes what nostr-tools encodes', () => {
    for (let i = 0; i < 50; i++) {
      const pk = getPublicKey(generateSecretKey());
      expect(decodeNpub(npubEncode(pk))).toBe(pk);
      expect(decodeNpub(npubEncode(pk).toUpperCase())).toBe(pk);
    }
  });

  it('refuses mixed case, wrong prefix, bad characters and every single-character change', () => {
    const n = npubEncode(pubkey);
    expect(decodeNpub(n.slice(0, 10) + n.slice(10).toUpperCase())).toBeUndefined();
    expect(decodeNpub('nprof' + n.slice(5))).toBeUndefined();
    expect(decodeNpub(n.slice(0, 20) + 'b' + n.slice(21))).toBeUndefined(); // 'b' is not in the charset
    const charset = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
    for (let i = 5; i < n.length; i++) {
      const c = charset[(charset.indexOf(n[i]) + 1) % 32];
      expect(decodeNpub(n.slice(0, i) + c + n.slice(i + 1))).toBeUndefined();
    }
  });

  it('parsePubkey accepts 64 hex either case or an npub, lowercases, refuses the rest', () => {
    expect(parsePubkey(pubkey.toUpperCase())).toBe(pubkey);
    expect(parsePubkey(npubEncode(pubkey))).toBe(pubkey);
    expect(parsePubkey(`${pubkey}0`)).toBeUndefined();
    expect(parsePubkey('')).toBeUndefined();
  });
});

describe('credentials', () => {
  it('are those of ilp-protocol-stream: its server code reads our token and derives the same secret', () => {
    const secret = randomBytes(32);
    const creds = new StreamCredentials(secret, 'test.peer');
    for (const pk of [pubkey, undefined]) {
      const c = creds.issue(pk);
      const token = Buffer.from(tokenOf(c.destinationAccount), 'base64url');
      const plain: Buffer = OfficialCrypto.decryptConnectionAddressToken(secret, token);
      // nonce(18) · VarOctet(tag) · VarOctet(receipt nonce) · VarOctet(receipt secret)
      const tagLength = plain[18];
      expect(plain.subarray(19, 19 + tagLength).toString('ascii')).toBe(pk ?? '');
      expect([...plain.subarray(19 + tagLength)]).toEqual([0, 0]);
      expect(Buffer.from(OfficialCrypto.generateSharedSecretFromToken(secret, token))).toEqual(Buffer.from(c.sharedSecret));
      expect(Buffer.from(generateSharedSecretFromToken(secret, token))).toEqual(Buffer.from(c.sharedSecret));
    }
  });

  it('refuses tokens it did not issue or that were altered', () => {
    const c = credentials.issue(pubkey);
    const token = tokenOf(c.destinationAccount);
    expect(credentials.open(token)).toBeDefined();
    expect(new StreamCredentials(randomBytes(32), 'test.peer').open(token)).toBeUndefined();
    const flipped = token.slice(0, 40) + (token[40] === 'A' ? 'B' : 'A') + token.slice(41);
    expect(credentials.open(flipped)).toBeUndefined();
    expect(credentials.open('')).toBeUndefined();
    expect(credentials.open('not-a-token')).toBeUndefined();
  });
});

describe('server secret', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  it('is generated once, 32 bytes, and kept across reopening the database', () => {
    h = new Harness();
    const file = path.join(h.dir, 'other.sqlite');
    const db = openDatabase(file);
    const first = loadServerSecret(db);
    expect(first).toHaveLength(32);
    expect(loadServerSecret(db)).toEqual(first);
    db.close();
    const again = openDatabase(file);
    expect(loadServerSecret(again)).toEqual(first);
    expect(loadServerSecret(again, 'another')).not.toEqual(first);
    again.close();
    expect(h.serverSecret).not.toEqual(first);
  });
});
