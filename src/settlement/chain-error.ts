/**
 * What to log of an error from a chain call. viem's HTTP errors carry the RPC URL in their message and in `url`,
 * and a provider's API key often sits in that URL's path: log the short message only.
 */
export function chainError(err: unknown): { error: string } {
  if (!(err instanceof Error)) return { error: String(err) };
  const short = (err as Error & { shortMessage?: unknown }).shortMessage;
  return { error: typeof short === 'string' ? short : (err.message.split('\n')[0] ?? err.name) };
}
