import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(__dirname, '../..');
const check = (folder: string) =>
  spawnSync(process.execPath, ['scripts/check-imports.mjs', folder], { cwd: repo, encoding: 'utf8', timeout: 20_000 });

describe('scripts/check-imports.mjs (run by npm test before vitest)', () => {
  it('fails on a two-file cycle (of type-only imports too) and on storage/ importing ledger/, naming both', () => {
    const r = check('test/fixtures/import-check/broken');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('2 problem(s)');
    expect(r.stderr).toContain('import cycle among relay/relay.ts, relay/session.ts');
    expect(r.stderr).toContain('storage imports ledger/: storage/events.ts -> ledger/balances.ts');
  });

  it('passes a folder whose imports go one way, relay/ into storage/ included', () => {
    const r = check('test/fixtures/import-check/clean');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('2 files');
  });
});
