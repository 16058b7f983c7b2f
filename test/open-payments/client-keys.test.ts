// Fetching a client's keys is bounded: https only, no private or loopback addresses (unless insecure), timeout, size.
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ClientKeys, isPrivateAddress } from '../../src/open-payments/client-keys';

describe('client keys', () => {
  it.each(['10.1.2.3', '127.0.0.1', '169.254.169.254', '172.20.0.1', '192.168.1.1', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1'])(
    '%s is private',
    (ip) => expect(isPrivateAddress(ip)).toBe(true),
  );

  it.each(['1.1.1.1', '93.184.216.34', '2606:4700:4700::1111'])('%s is public', (ip) => expect(isPrivateAddress(ip)).toBe(false));

  it('refuses http, loopback, private hosts and credentials in the URL unless insecure', async () => {
    const keys = new ClientKeys({ insecure: false, timeoutMs: 1000 });
    await expect(keys.keys('http://wallet.example/alice')).rejects.toThrow('must be https');
    await expect(keys.keys('https://127.0.0.1:1/alice')).rejects.toThrow('private network');
    await expect(keys.keys('https://[::1]:1/alice')).rejects.toThrow('private network');
    await expect(keys.keys('https://localhost:1/alice')).rejects.toThrow('private network');
    await expect(keys.keys('https://u:p@wallet.example/alice')).rejects.toThrow('credentials');
    await expect(keys.keys('not a url')).rejects.toThrow('not a URL');
  });

  it('fetches at most 64 at once; the next is refused at once, and the slow ones time out', async () => {
    const server = createServer(() => undefined); // never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const keys = new ClientKeys({ insecure: true, timeoutMs: 1000 });
      const slow = Array.from({ length: 64 }, (_, i) => keys.keys(`${base}/c${i}`));
      await expect(keys.keys(`${base}/one-more`)).rejects.toThrow('too many');
      for (const r of await Promise.allSettled(slow)) expect(r).toMatchObject({ status: 'rejected', reason: { message: 'client keys took too long to fetch' } });
      // the slots are free again
      await expect(keys.keys(`${base}/after`)).rejects.toThrow('took too long');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
