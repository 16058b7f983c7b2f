// A peer for the ILP fuzzers: BTP peers alice (who sends) and bob (routes g.bob), and what the checks share.
import { expect } from 'vitest';
import {
  BtpContentType,
  BtpMessageType,
  decodeIlpPacket,
  encodeBtpPacket,
  findProtocolData,
  IlpPacketType,
  type BtpPacket,
  type IlpPacket,
} from '../../src/ilp';
import { balanceAccount, peerAccount } from '../../src/ledger/account-paths';
import { startPeer, type StartedPeer } from '../../src/library';
import { readLedger } from '../helpers/ledger';

export const ALICE = 'alice-token-0123456789';
export const BOB = 'bob-token-0123456789ab';

export function startIlpPeer(): Promise<StartedPeer> {
  return startPeer({
    ILP_ADDRESS: 'test.peer',
    ILP_PEERS: JSON.stringify([
      { id: 'alice', token: ALICE, creditLimit: '1000000000000000' },
      { id: 'bob', token: BOB, creditLimit: '1000000', routes: ['g.bob'] },
    ]),
  });
}

export const ilpEntry = (data: Uint8Array) => ({ protocolName: 'ilp', contentType: BtpContentType.ApplicationOctetStream, data });
export const message = (requestId: number, ilp: Uint8Array): Uint8Array =>
  encodeBtpPacket({ type: BtpMessageType.Message, requestId, protocolData: [ilpEntry(ilp)] });
export const expiresSoon = () => new Date(Date.now() + 20_000);

/** The ILP reply inside a Response, which must be there and decode. */
export function ilpReply(answer: BtpPacket): IlpPacket {
  expect(answer.type).toBe(BtpMessageType.Response);
  const entry = findProtocolData(answer.protocolData, 'ilp');
  expect(entry).toBeDefined();
  const reply = decodeIlpPacket(entry!.data);
  expect(reply.type).not.toBe(IlpPacketType.Prepare);
  return reply;
}

/**
 * Reads the peer's ledger from its database: exactly `credited` went from alice's account to `pubkey`'s balance, to
 * the unit; nothing else moved and nothing is pending.
 */
export function expectLedger(peer: StartedPeer, credited = 0n, pubkey?: string): void {
  const ledger = readLedger(peer.config.dataDir);
  try {
    const zero = { debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n };
    expect(ledger.account(peerAccount('alice'))).toEqual({ ...zero, debitsPosted: credited });
    expect(ledger.account(peerAccount('bob'))).toEqual(zero);
    if (pubkey) expect(ledger.account(balanceAccount(pubkey))).toEqual({ ...zero, creditsPosted: credited });
    expect(ledger.account('equity/owner')).toEqual(zero);
    expect(ledger.sum()).toBe(0n);
  } finally {
    ledger.close();
  }
}
