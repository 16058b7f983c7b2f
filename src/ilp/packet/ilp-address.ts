/** RFC 15: an allocation scheme, then one or more segments, at most 1023 bytes in all. */
const ILP_ADDRESS = /^(g|private|example|peer|self|test[1-3]?|local)([.][a-zA-Z0-9_~-]+)+$/;

export const MAX_ILP_ADDRESS_LENGTH = 1023;

export function isValidIlpAddress(address: string): boolean {
  return address.length <= MAX_ILP_ADDRESS_LENGTH && ILP_ADDRESS.test(address);
}
