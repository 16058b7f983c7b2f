import WebSocket from 'ws';
import { finalizeEvent, getEventHash } from 'nostr-tools/pure';
import type { NostrEvent } from '../../src/nostr/event';
import { powDifficulty } from '../../src/nostr/pow';
import { TestClient, type Signer } from './client';

const now = () => Math.floor(Date.now() / 1000);

/** A client that appears to come from `ip`: the peer must list 127.0.0.1 in TRUSTED_PROXIES. */
export const connectFrom = (url: string, ip: string): Promise<TestClient> =>
  TestClient.connect(url, { headers: { 'x-forwarded-for': ip } });

/** The challenge the relay sent on this connection (waits for it). */
export async function challenge(client: TestClient): Promise<string> {
  const m = client.messages.find((x) => x[0] === 'AUTH') ?? (await client.next((x) => x[0] === 'AUTH'));
  return m[1] as string;
}

/** A kind 22242 AUTH event; `patch` overrides fields or tags to make it wrong. */
export function authEvent(s: Signer, challengeText: string, relay: string, patch: Partial<NostrEvent> = {}): NostrEvent {
  return s.sign({
    kind: 22242,
    created_at: now(),
    tags: [
      ['relay', relay],
      ['challenge', challengeText],
    ],
    ...patch,
  });
}

/** Sends AUTH and returns the OK answer. */
export async function sendAuth(client: TestClient, e: NostrEvent): Promise<[string, string, boolean, string]> {
  client.send(['AUTH', e]);
  return (await client.next((m) => m[0] === 'OK' && m[1] === e.id)) as [string, string, boolean, string];
}

/** Full NIP-42 handshake; the relay must already have sent a challenge (or `challengeText` is given). */
export async function authenticate(client: TestClient, s: Signer, relay: string, challengeText?: string): Promise<void> {
  const [, , ok, reason] = await sendAuth(client, authEvent(s, challengeText ?? (await challenge(client)), relay));
  if (!ok) throw new Error(`AUTH refused: ${reason}`);
}

/** NIP-13: mines a nonce until the id has `bits` leading zero bits, committing to `target` (default `bits`). */
export function mine(s: Signer, template: Partial<NostrEvent>, bits: number, target = bits): NostrEvent {
  const base = { kind: 1, content: '', created_at: now(), ...template, pubkey: s.pubkey };
  for (let nonce = 0; ; nonce++) {
    const tags = [...(template.tags ?? []), ['nonce', String(nonce), String(target)]];
    if (powDifficulty(getEventHash({ ...base, tags })) >= bits) {
      return JSON.parse(JSON.stringify(finalizeEvent({ kind: base.kind, content: base.content, created_at: base.created_at, tags }, s.sk)));
    }
  }
}

/** Sends COUNT and returns the answer (a COUNT or CLOSED message). */
export async function count(client: TestClient, subId: string, ...filters: unknown[]): Promise<unknown[]> {
  client.send(['COUNT', subId, ...filters]);
  return client.next((m) => (m[0] === 'COUNT' || m[0] === 'CLOSED') && m[1] === subId);
}

/** Waits for the socket to close; resolves with the close code. */
export const closed = (client: TestClient): Promise<number> =>
  client.closed
    ? Promise.resolve(client.closed.code)
    : new Promise((resolve) => client.ws.once('close', (code: number) => resolve(code)));

/** Opens a plain WebSocket and resolves with the HTTP status of a refused upgrade (or 101, closing it again). */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    let done = false;
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      done = true;
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        done = true;
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] as string | undefined });
      });
    });
    ws.on('error', (err) => (done ? undefined : reject(err)));
  });
}
