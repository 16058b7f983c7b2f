import type { FilterPolicy } from './policy';
import type { TokenBuckets } from '../../http/token-buckets';

/** Per-IP rate of REQ or COUNT messages (`what` names them in the refusal); per ILP peer for paid STREAM sessions. */
export const filtersPerIp =
  (buckets: TokenBuckets, what: string): FilterPolicy =>
  (_f, session) =>
    session.ip === undefined || buckets.take(session.ip) ? undefined : `rate-limited: too many ${what} from your address; slow down`;

export const readAuthRequired: FilterPolicy = (_f, session) =>
  session.authed?.size ? undefined : 'auth-required: this relay serves only authenticated clients';
