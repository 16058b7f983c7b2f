import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks an `Authorization: Bearer …` header against `token`. The two are compared as SHA-256 digests with
 * timingSafeEqual, so neither the time taken nor a length difference says anything about the token.
 */
export function bearerChecker(token: string): (header: string) => boolean {
  const want = digest(token);
  return (header) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const ok = timingSafeEqual(digest(m ? m[1] : ''), want);
    return m !== null && ok;
  };
}
