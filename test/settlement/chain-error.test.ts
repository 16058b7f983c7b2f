// Errors from chain calls are logged without the RPC URL, whose path often holds a provider's API key.
import { HttpRequestError } from 'viem';
import { describe, expect, it } from 'vitest';
import { chainError } from '../../src/settlement/chain-error';

describe('chainError', () => {
  it("keeps viem's short message and drops the URL", () => {
    const url = 'https://base-mainnet.example/v2/SECRET-API-KEY';
    const err = new HttpRequestError({ url, status: 503, body: { method: 'eth_call' } });
    expect(JSON.stringify(err) + err.message).toContain('SECRET-API-KEY');
    const logged = JSON.stringify(chainError(err));
    expect(logged).not.toContain('SECRET-API-KEY');
    expect(logged).toContain('HTTP request failed');
  });

  it('keeps the first line of other errors', () => {
    expect(chainError(new Error('one\ntwo'))).toEqual({ error: 'one' });
    expect(chainError('plain')).toEqual({ error: 'plain' });
  });
});
