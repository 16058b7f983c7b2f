import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// npm run akash:cost -- --uakt-per-block N [--akt-usd P]: monthly cost from the lease price, with its assumptions.
const script = path.resolve(__dirname, '../../scripts/akash-cost.mjs');
const cost = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

describe('akash:cost', () => {
  it('prints the monthly cost from the price per block, in AKT and USD, with its assumptions', () => {
    const r = cost('--uakt-per-block', '1000', '--akt-usd', '2.5', '--deposit-akt', '5');
    expect(r.status).toBe(0);
    // 30.437 days × 86,400 s / 6.174 s = 425,941 blocks; × 1000 uakt = 425.941 AKT; × $2.5
    expect(r.stdout).toMatch(/per month\s+425\.941 AKT\s+\(425,941 blocks\)/);
    expect(r.stdout).toMatch(/per month in USD\s+\$1,064\.85/);
    expect(r.stdout).toMatch(/5 AKT lasts 0\.4 days/);
    expect(r.stdout).toMatch(/assumptions:[\s\S]*6\.174 s[\s\S]*30\.437 days/);
  });

  it('takes another block time and decimal prices', () => {
    const r = cost('--uakt-per-block=12.5', '--block-seconds', '6');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/per month\s+5\.479 AKT\s+\(438,293 blocks\)/);
    expect(r.stdout).toMatch(/no USD price given/);
  });

  it('refuses missing or bad numbers with the usage', () => {
    for (const args of [[], ['--uakt-per-block', 'abc'], ['--uakt-per-block', '-1'], ['--akt-usd', '2'], ['--nope', '1']]) {
      const r = cost(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/usage: npm run akash:cost/);
    }
  });
});
