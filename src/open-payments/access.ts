import type { OpenPaymentsUrls } from './urls';

export type IncomingPaymentAction = 'create' | 'complete' | 'read' | 'read-all' | 'list' | 'list-all';

/** A granted access item: only `incoming-payment` is ever granted here. */
export interface AccessItem {
  type: 'incoming-payment';
  actions: IncomingPaymentAction[];
  /** The wallet address it is limited to; absent: every wallet address of this relay. */
  identifier?: string;
}

const ACTIONS = new Set<string>(['create', 'complete', 'read', 'read-all', 'list', 'list-all']);
/** Access types the spec defines that need an interactive grant (the account holder's consent), not offered here. */
const INTERACTIVE_TYPES = new Set(['outgoing-payment', 'quote']);
const MAX_ITEMS = 3;

export type AccessParse = { ok: true; access: AccessItem[] } | { ok: false; interactive: boolean; message: string };

/** Checks a grant request's `access_token.access` (the spec's access array): incoming-payment items on our wallets. */
export function parseAccess(raw: unknown, urls: OpenPaymentsUrls): AccessParse {
  const bad = (message: string, interactive = false): AccessParse => ({ ok: false, interactive, message });
  if (!Array.isArray(raw) || raw.length === 0) return bad('access_token.access must be a non-empty array');
  if (raw.length > MAX_ITEMS) return bad(`access_token.access has at most ${MAX_ITEMS} items`);
  const access: AccessItem[] = [];
  for (const item of raw) {
    if (typeof item !== 'object' || item === null) return bad('each access item must be an object');
    const { type, actions, identifier, ...rest } = item as Record<string, unknown>;
    if (typeof type === 'string' && INTERACTIVE_TYPES.has(type)) {
      return bad(`${type} access needs an interactive grant, which this server does not offer; only incoming-payment`, true);
    }
    if (type !== 'incoming-payment') return bad('only incoming-payment access is granted');
    if (Object.keys(rest).length > 0) return bad(`unexpected field in an incoming-payment access item: ${Object.keys(rest)[0]}`);
    if (!Array.isArray(actions) || actions.length === 0 || !actions.every((a) => typeof a === 'string' && ACTIONS.has(a))) {
      return bad(`actions must be a non-empty array of ${[...ACTIONS].join(', ')}`);
    }
    if (new Set(actions).size !== actions.length) return bad('actions must be unique');
    if (identifier !== undefined && urls.pubkeyOf(identifier) === undefined) {
      return bad('identifier is not a wallet address of this server');
    }
    access.push({
      type: 'incoming-payment',
      actions: actions as IncomingPaymentAction[],
      ...(identifier !== undefined ? { identifier: urls.walletAddress(urls.pubkeyOf(identifier)!) } : {}),
    });
  }
  return { ok: true, access };
}

/**
 * Whether `access` allows `action` on `walletAddress`. `read` and `list` cover only payments the grant's own client
 * created (`own`); `read-all` and `list-all` cover every payment of the wallet address. `complete` covers only the
 * client's own payments: completing stops a payment taking money, which no stranger may do to another's payers.
 */
export function allows(access: AccessItem[], action: 'create' | 'complete' | 'read' | 'list', walletAddress: string, own: boolean): boolean {
  const all = action === 'read' ? 'read-all' : action === 'list' ? 'list-all' : undefined;
  if (action === 'complete' && !own) return false;
  const enough: IncomingPaymentAction[] = all === undefined ? [action] : own ? [action, all] : [all];
  return access.some((a) => (a.identifier === undefined || a.identifier === walletAddress) && enough.some((n) => a.actions.includes(n)));
}
