import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceAccount, peerAccount } from '../src/ledger/account-paths';
import { startPeer, type StartedPeer } from '../src/library';
import { signer, TestClient } from './helpers/client';
import { readLedger } from './helpers/ledger';

// Issue #14 item 3: the README's payment snippet could not run (require with top-level await) and never exited.
// Every runnable snippet of the README is a file in examples/, shown verbatim, and run here (examples/*.test.ts are
// in vitest's include and run themselves).
const root = path.resolve(__dirname, '..');
const docs: Record<string, string> = Object.fromEntries(
  ['README.md', 'docs/deploy-akash.md'].map((f) => [f, readFileSync(path.join(root, f), 'utf8')]),
);
const run = promisify(execFile);

/** The fenced block of `doc` that follows its link to `file`. */
function docBlock(doc: string, file: string): string {
  const link = path.relative(path.dirname(path.join(root, doc)), path.join(root, file));
  const at = docs[doc].indexOf(`[${file}](${link})`);
  expect(at, `${doc} links ${file}`).toBeGreaterThan(-1);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(docs[doc].slice(at));
  return m![1];
}

describe('examples/ (README snippets, run as they are shown)', () => {
  const token = 'wallet-token-0123456789';
  let peer: StartedPeer;
  beforeAll(async () => {
    peer = await startPeer({
      PRICE_BASE: '1000',
      ILP_PEERS: JSON.stringify([{ id: 'wallet', token, creditLimit: '1000000000', routes: ['g.wallet'] }]),
    });
  });
  afterAll(() => peer.stop());

  it.each([
    ['README.md', 'examples/pay.mjs'],
    ['README.md', 'examples/harness.test.ts'],
    // typechecked by `npm test` (tsconfig.test.json includes examples/); running it needs a funded Akash wallet
    ['docs/deploy-akash.md', 'examples/akash-deploy.ts'],
  ])('%s shows %s verbatim', (doc, file) => {
    expect(docBlock(doc, file)).toBe(readFileSync(path.join(root, file), 'utf8'));
  });

  it('examples/pay.mjs pays exactly its amount into the balance, exits 0 by itself, and the event then goes through', async () => {
    const s = signer();
    const r = await run(process.execPath, [path.join(root, 'examples/pay.mjs'), peer.httpUrl, s.pubkey, token, '100000'], {
      cwd: root,
      timeout: 20_000,
    });
    expect(r.stdout.trim()).toBe(`paid 100000 to ${s.pubkey}`);
    const l = readLedger(peer.config.dataDir);
    try {
      expect(l.account(balanceAccount(s.pubkey)).creditsPosted).toBe(100000n);
      expect(l.account(peerAccount('wallet')).debitsPosted).toBe(100000n);
      expect(l.sum()).toBe(0n);
    } finally {
      l.close();
    }
    const c = await TestClient.connect(peer.url);
    const ev = s.sign({ content: 'paid for' });
    expect(await c.publish(ev)).toEqual(['OK', ev.id, true, '']);
    await c.close();
  });
});
