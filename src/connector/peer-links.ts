import type { IlpPrepare } from '../ilp';
import type { IlpReply } from './local-receiver';

/** One authenticated BTP connection of a peer, able to carry a Prepare and wait for its reply. */
export interface PeerLink {
  sendPrepare(prepare: IlpPrepare, timeoutMs: number): Promise<IlpReply | 'timeout' | 'closed'>;
  /** A BTP Message whose only protocolData entry is `protocolName` (a sub-protocol such as settlement), and its answer. */
  request?(protocolName: string, data: Uint8Array, timeoutMs: number): Promise<SubProtocolReply | 'timeout' | 'closed'>;
}

/** The answer to a sub-protocol message: the Response's entry of that name, or the BTP Error. */
export type SubProtocolReply = { ok: true; data: Uint8Array } | { ok: false; code: string; message: string };

/** Answers a sub-protocol message from an authenticated peer; `code` is a BTP error code (F01 malformed, T00 try later). */
export type SubProtocolHandler = (peerId: string, data: Uint8Array) => Promise<SubProtocolReply>;

/** The open BTP connections of each peer; several connections with one token are one peer. */
export class PeerLinks {
  private readonly links = new Map<string, Set<PeerLink>>();
  /** Called after a peer's connection is added (settlement resends its latest voucher then). */
  onAdd?: (peerId: string) => void;

  add(peerId: string, link: PeerLink): void {
    let set = this.links.get(peerId);
    if (!set) this.links.set(peerId, (set = new Set()));
    set.add(link);
    this.onAdd?.(peerId);
  }

  remove(peerId: string, link: PeerLink): void {
    const set = this.links.get(peerId);
    set?.delete(link);
    if (set?.size === 0) this.links.delete(peerId);
  }

  /** The most recently opened connection of the peer (the likeliest to be alive), if any. */
  get(peerId: string): PeerLink | undefined {
    const set = this.links.get(peerId);
    if (!set) return undefined;
    let last: PeerLink | undefined;
    for (const link of set) last = link;
    return last;
  }

  count(peerId: string): number {
    return this.links.get(peerId)?.size ?? 0;
  }
}
