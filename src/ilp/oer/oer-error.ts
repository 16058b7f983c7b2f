/** Malformed or truncated input to a decoder; `offset` is the byte position in the outermost buffer. */
export class OerError extends Error {
  override readonly name = 'OerError';

  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} at byte ${offset}`);
  }
}
