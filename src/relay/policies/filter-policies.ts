import { refusal } from '../refusal';
import { AUTH_REQUIRED } from './event-policies';
import type { FilterPolicy } from './policy';
import type { TokenBuckets } from '../../http/token-buckets';

/** Per-IP rate of REQ or COUNT messages (`what` names them in the refusal); per ILP peer for paid STREAM sessions. */
export const filtersPerIp = (buckets: TokenBuckets, what: string): FilterPolicy => {
  const tooMany = refusal('rate-limited', `too many ${what} from your address; slow down`);
  return (_f, session) => (session.ip === undefined || buckets.take(session.ip) ? undefined : tooMany);
};

export const readAuthRequired: FilterPolicy = (_f, session) =>
  session.authed?.size ? undefined : AUTH_REQUIRED;
