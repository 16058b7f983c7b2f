// Seeded, reproducible fuzzing: every case has its own generator, derived from the run's seed and the case's index,
// so one failing case replays alone.
//
//   FUZZ_SEED=<n>      the run's seed (default 1); FUZZ_SEED=random picks a fresh one, printed with any failure
//   FUZZ_SCALE=<k>     k times the default number of cases of every fuzzer (default 1), e.g. FUZZ_SCALE=100
//   FUZZ_RUNS=<n>      n cases for every fuzzer instead (wins over FUZZ_SCALE)
//   FUZZ_CASE=<i>      runs only case i (with the seed of the failure)
import { Rng, hex } from '../ilp/random';

export const FUZZ_SEED = readSeed(process.env.FUZZ_SEED);
const FUZZ_SCALE = readNumber('FUZZ_SCALE', 1);
const FUZZ_RUNS = process.env.FUZZ_RUNS === undefined ? undefined : readNumber('FUZZ_RUNS', 0);
const FUZZ_CASE = process.env.FUZZ_CASE === undefined ? undefined : readNumber('FUZZ_CASE', 0);

function readSeed(text: string | undefined): number {
  if (text === undefined || text === '') return 1;
  if (text === 'random') return Math.floor(Math.random() * 2 ** 32);
  return readNumber('FUZZ_SEED', 1);
}

function readNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${text}"`);
  return value;
}

/** The generator of case `index` of fuzzer `name`: independent of how many cases ran before it. */
export function caseRng(name: string, index: number): Rng {
  let h = FUZZ_SEED ^ 0x9e3779b9;
  for (const ch of `${name}#${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return new Rng(h);
}

/** The case indexes to run: `defaultRuns × FUZZ_SCALE`, or FUZZ_RUNS of them, or only FUZZ_CASE. */
export function caseIndexes(defaultRuns: number): number[] {
  if (FUZZ_CASE !== undefined) return [FUZZ_CASE];
  return Array.from({ length: FUZZ_RUNS ?? defaultRuns * FUZZ_SCALE }, (_, i) => i);
}

/** How many cases a fuzzer with `defaultRuns` runs now, for test titles. */
export const runs = (defaultRuns: number): number => caseIndexes(defaultRuns).length;

/** vitest's 30 s per test, scaled with the number of cases. */
export const timeoutFor = (defaultRuns: number): number => Math.max(30_000, Math.ceil((30_000 * runs(defaultRuns)) / defaultRuns));

/** How to replay a failed case, put in front of its error. */
export function replayHint(name: string, index: number, input?: Uint8Array | string): string {
  const shown = input === undefined ? '' : typeof input === 'string' ? ` input ${JSON.stringify(input.slice(0, 300))}` : ` input ${hex(input.subarray(0, 128))}`;
  return `fuzz "${name}" failed at case ${index}: replay with FUZZ_SEED=${FUZZ_SEED} FUZZ_CASE=${index}.${shown}`;
}

/** Runs `run(rng, index)` for every case; a failure names the seed and case (and the input `run` last reported). */
export function fuzz(name: string, defaultRuns: number, run: (rng: Rng, index: number, report: (input: Uint8Array | string) => void) => void): void {
  for (const index of caseIndexes(defaultRuns)) {
    let input: Uint8Array | string | undefined;
    try {
      run(caseRng(name, index), index, (x) => (input = x));
    } catch (err) {
      throw withHint(err, replayHint(name, index, input));
    }
  }
}

/** The async form of `fuzz`, for cases that go over a socket. */
export async function fuzzAsync(
  name: string,
  defaultRuns: number,
  run: (rng: Rng, index: number, report: (input: Uint8Array | string) => void) => Promise<void>,
): Promise<void> {
  for (const index of caseIndexes(defaultRuns)) {
    let input: Uint8Array | string | undefined;
    try {
      await run(caseRng(name, index), index, (x) => (input = x));
    } catch (err) {
      throw withHint(err, replayHint(name, index, input));
    }
  }
}

function withHint(err: unknown, hint: string): Error {
  if (err instanceof Error) {
    err.message = `${hint}\n${err.message}`;
    return err;
  }
  return new Error(`${hint}\n${String(err)}`);
}
