import { Initiator, type ItemSet } from '../nostr/negentropy';
import type { RelayLink } from './relay-link';

export interface ReconcileOptions {
  /** Largest NEG-MSG we send, in bytes before hex (at least 4096); the default fits a 128 KiB message limit. */
  frameSizeLimit?: number;
  /** How long to wait for each answer of the relay. */
  timeoutMs?: number;
  /** The NEG-OPEN subscription id; a fresh one by default. */
  subId?: string;
}

export type ReconcileResult =
  | { ok: true; /** ids we hold and the relay lacks */ have: string[]; /** ids the relay holds and we lack */ need: string[]; rounds: number }
  | { ok: false; /** NIP-01-style: the relay's NEG-ERR, or "error: …" */ reason: string };

const DEFAULT_FRAME_SIZE_LIMIT = 60_000;
let nextSub = 0;

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/**
 * NIP-77 as the client: reconciles our records (`items`, the events we hold that match `filter`) with the relay's
 * events matching the same filter, round after round until nothing differs, then closes the session.
 */
export async function reconcileWithRelay(
  link: RelayLink,
  filter: Record<string, unknown>,
  items: ItemSet,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const subId = options.subId ?? `neg-${++nextSub}`;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const initiator = new Initiator(items, options.frameSizeLimit ?? DEFAULT_FRAME_SIZE_LIMIT);
  const have = new Set<string>();
  const need = new Set<string>();
  const inbox = link.inbox((m) => (m[0] === 'NEG-MSG' || m[0] === 'NEG-ERR') && m[1] === subId);
  const fail = (reason: string): ReconcileResult => {
    link.send(['NEG-CLOSE', subId]);
    return { ok: false, reason };
  };
  try {
    link.send(['NEG-OPEN', subId, filter, Buffer.from(initiator.initiate()).toString('hex')]);
    for (let rounds = 1; ; rounds++) {
      const m = await inbox.next(timeoutMs);
      if (m === 'closed') return { ok: false, reason: 'error: the connection closed' };
      if (m === 'timeout') return fail(`error: no answer from ${link.url} within ${timeoutMs} ms`);
      if (m[0] === 'NEG-ERR') return { ok: false, reason: String(m[2]) };
      if (typeof m[2] !== 'string' || !HEX.test(m[2])) return fail('invalid: NEG-MSG without a hex message');
      const step = initiator.reconcile(Buffer.from(m[2], 'hex'));
      if (!step.ok) return fail(`invalid: ${step.reason}`);
      for (const id of step.have) have.add(id);
      for (const id of step.need) need.add(id);
      if (step.next === null) {
        link.send(['NEG-CLOSE', subId]);
        return { ok: true, have: [...have], need: [...need], rounds };
      }
      link.send(['NEG-MSG', subId, Buffer.from(step.next).toString('hex')]);
    }
  } finally {
    inbox.close();
  }
}
