/** A received message that does not parse; `offset` is the byte where reading failed. */
export class MalformedMessage extends Error {
  override name = 'MalformedMessage';
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} at byte ${offset}`);
  }
}
