import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks an `Authorization: Basic …` header against the dashboard's user and password. Both parts are compared
 * as SHA-256 digests with timingSafeEqual, always both, so the time taken says nothing about either.
 */
export function basicAuthChecker(user: string, password: string): (header: string) => boolean {
  const wantUser = digest(user);
  const wantPassword = digest(password);
  return (header) => {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    const decoded = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const givenUser = colon < 0 ? '' : decoded.slice(0, colon);
    const givenPassword = colon < 0 ? '' : decoded.slice(colon + 1);
    const userOk = timingSafeEqual(digest(givenUser), wantUser);
    const passwordOk = timingSafeEqual(digest(givenPassword), wantPassword);
    return m !== null && colon >= 0 && userOk && passwordOk;
  };
}
