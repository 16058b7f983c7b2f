import { randomBytes } from 'node:crypto';
import { checkShape, computeId, isHex64, serializeForId, type NostrEvent } from '../nostr/event';
import { verifySignature } from '../nostr/verify';
import { noticeMessage, okMessage } from './messages';
import { refuseEvent, type EventPolicy } from './policies/policy';
import { refusal, refusalText, type Refusal } from './refusal';
import type { Session } from './session';

export const AUTH_KIND = 22242;

/** How far (seconds) an AUTH event's created_at may be from now: NIP-42 suggests about ten minutes. */
const AUTH_WINDOW = 600;

/** This session's challenge, made when first needed (16 random bytes, hex). */
export const challengeOf = (session: Session): string => (session.challenge ??= randomBytes(16).toString('hex'));

export const authMessage = (challenge: string): string => JSON.stringify(['AUTH', challenge]);

interface RelayUrl {
  scheme: string;
  host: string;
  path: string;
}

function parseUrl(raw: string): RelayUrl | undefined {
  try {
    const u = new URL(raw.trim().toLowerCase());
    return { scheme: u.protocol, host: u.host, path: u.pathname.replace(/\/+$/, '') };
  } catch {
    return undefined;
  }
}

/**
 * Whether the AUTH event's `relay` tag names this relay's PUBLIC_URL (scheme, host and path). Never the Host the
 * client sent: a relay that got a victim to sign an AUTH for itself could replay it here with that Host header.
 */
function namesThisRelay(tag: string | undefined, publicUrl: string): boolean {
  const given = tag === undefined ? undefined : parseUrl(tag);
  const expected = parseUrl(publicUrl)!;
  return !!given && given.scheme === expected.scheme && given.host === expected.host && given.path === expected.path;
}

const NOT_AUTH_KIND = refusal('invalid', `an AUTH event must be of kind ${AUTH_KIND}`);
const OUTSIDE_WINDOW = refusal('invalid', `AUTH created_at must be within ${AUTH_WINDOW} seconds of now`);
const WRONG_CHALLENGE = refusal('invalid', 'the challenge tag does not match the challenge of this connection');
const NO_PUBLIC_URL = refusal('restricted', 'AUTH needs this relay to know its address; the operator has not set PUBLIC_URL');
const WRONG_RELAY = refusal('invalid', 'the relay tag does not name this relay');
const BAD_ID = refusal('invalid', 'id is not the hash of the event');
const BAD_SIGNATURE = refusal('invalid', 'signature does not verify');

/** NIP-42 checks of an AUTH event other than its signature; the refusal or undefined. */
export function checkAuthEvent(e: NostrEvent, session: Session, publicUrl: string, now: number): Refusal | undefined {
  if (e.kind !== AUTH_KIND) return NOT_AUTH_KIND;
  if (Math.abs(e.created_at - now) > AUTH_WINDOW) return OUTSIDE_WINDOW;
  const tag = (name: string) => e.tags.find((t) => t[0] === name)?.[1];
  if (session.challenge === undefined || tag('challenge') !== session.challenge) return WRONG_CHALLENGE;
  if (!publicUrl) return NO_PUBLIC_URL;
  if (!namesThisRelay(tag('relay'), publicUrl)) return WRONG_RELAY;
  return undefined;
}

/**
 * NIP-42 `["AUTH", <signed kind 22242 event>]`: on success the event's pubkey joins the session's authenticated
 * pubkeys (a client may authenticate several) and the answer is `OK true`; otherwise `OK false` with the reason.
 */
export function handleAuth(session: Session, msg: unknown[], policies: readonly EventPolicy[], publicUrl: string, maxTags: number): void {
  const e = msg[1] as NostrEvent;
  const shape = msg.length === 2 ? checkShape(e, { maxEventTags: maxTags, maxContentLength: 1024 }) : 'AUTH takes exactly one event';
  const id = (e as { id?: unknown } | null)?.id;
  const answer = (r: Refusal) => {
    const reason = refusalText(r);
    session.send(isHex64(id) ? okMessage(id, false, reason) : noticeMessage(reason));
  };
  if (shape) return answer(refusal('invalid', shape));
  const now = Math.floor(Date.now() / 1000);
  const refused =
    refuseEvent(policies, e, session, now) ??
    checkAuthEvent(e, session, publicUrl, now) ??
    (computeId(serializeForId(e)) !== e.id ? BAD_ID : undefined) ??
    (verifySignature(e.id, e.pubkey, e.sig) ? undefined : BAD_SIGNATURE);
  if (refused) return answer(refused);
  (session.authed ??= new Set()).add(e.pubkey);
  session.send(okMessage(e.id, true, ''));
}
