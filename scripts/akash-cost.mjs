#!/usr/bin/env node
// Monthly cost of an Akash lease from its price per block, printed with its assumptions.
//   npm run akash:cost -- --uakt-per-block 1000 [--akt-usd 2.5] [--block-seconds 6.174] [--deposit-akt 5]
// A lease is billed per block; blocks per month = seconds in an average month / average block time. The defaults
// are those of Akash Console (akash-network/console, api/src/utils/constants.ts): 6.174 s and 30.437 days.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_BLOCK_SECONDS = 6.174;
export const DAYS_PER_MONTH = 30.437;
const UAKT_PER_AKT = 1_000_000;

/** @param {{ uaktPerBlock: number, aktUsd?: number, blockSeconds?: number, depositAkt?: number }} o */
export function leaseCost({ uaktPerBlock, aktUsd, blockSeconds = DEFAULT_BLOCK_SECONDS, depositAkt }) {
  const blocksPerMonth = (DAYS_PER_MONTH * 86_400) / blockSeconds;
  const aktPerMonth = (uaktPerBlock * blocksPerMonth) / UAKT_PER_AKT;
  return {
    blockSeconds,
    blocksPerMonth,
    blocksPerDay: 86_400 / blockSeconds,
    aktPerMonth,
    aktPerDay: (uaktPerBlock * (86_400 / blockSeconds)) / UAKT_PER_AKT,
    usdPerMonth: aktUsd === undefined ? undefined : aktPerMonth * aktUsd,
    depositDays: depositAkt === undefined || uaktPerBlock === 0 ? undefined : (depositAkt / aktPerMonth) * DAYS_PER_MONTH,
  };
}

const USAGE = `usage: npm run akash:cost -- --uakt-per-block N [--akt-usd P] [--block-seconds S] [--deposit-akt D]
  --uakt-per-block  the lease price (the bid you accepted), uakt per block; decimals allowed
  --akt-usd         AKT price in USD, to print the cost in USD too
  --block-seconds   average block time (default ${DEFAULT_BLOCK_SECONDS}, Akash Console's figure)
  --deposit-akt     escrow deposit, to print how long it lasts`;

function parseArgs(argv) {
  const out = {};
  const names = { '--uakt-per-block': 'uaktPerBlock', '--akt-usd': 'aktUsd', '--block-seconds': 'blockSeconds', '--deposit-akt': 'depositAkt' };
  for (let i = 0; i < argv.length; i++) {
    let [flag, value] = argv[i].split('=', 2);
    if (flag === '--help' || flag === '-h') return undefined;
    const key = names[flag];
    if (!key) throw new Error(`unknown argument ${argv[i]}`);
    if (value === undefined) value = argv[++i];
    const n = Number(value);
    if (value === undefined || value.trim() === '' || !Number.isFinite(n) || n < 0 || (key === 'blockSeconds' && n === 0)) {
      throw new Error(`${flag} needs a non-negative number, got ${JSON.stringify(value ?? '')}`);
    }
    out[key] = n;
  }
  if (out.uaktPerBlock === undefined) throw new Error('--uakt-per-block is required');
  return out;
}

const fmt = (n, digits = 2) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`akash:cost: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  if (!args) {
    console.log(USAGE);
    process.exit(0);
  }
  const c = leaseCost(args);
  console.log(`lease price       ${args.uaktPerBlock} uakt/block`);
  console.log(`per day           ${fmt(c.aktPerDay, 4)} AKT  (${fmt(c.blocksPerDay, 0)} blocks)`);
  console.log(`per month         ${fmt(c.aktPerMonth, 3)} AKT  (${fmt(c.blocksPerMonth, 0)} blocks)`);
  if (c.usdPerMonth !== undefined) console.log(`per month in USD  $${fmt(c.usdPerMonth)}  at $${args.aktUsd}/AKT`);
  if (c.depositDays !== undefined) console.log(`deposit           ${args.depositAkt} AKT lasts ${fmt(c.depositDays, 1)} days`);
  console.log('assumptions:');
  console.log(`  - billed per block at a constant price; average block time ${c.blockSeconds} s${args.blockSeconds === undefined ? " (Akash Console's figure; check a block explorer)" : ''}`);
  console.log(`  - a month is ${DAYS_PER_MONTH} days (365.25 / 12); 1 AKT = 1,000,000 uakt`);
  console.log(`  - ${args.aktUsd === undefined ? 'no USD price given (--akt-usd)' : `AKT at $${args.aktUsd}, constant`}; transaction fees (create, update, close, deposit) not included`);
}
