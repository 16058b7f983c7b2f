import type { IlpPrepare } from '../ilp';
import type { IlpReply } from './local-receiver';

export type LinkKind = 'btp' | 'http';

/**
 * One way to reach a peer, able to carry a Prepare and wait for its reply: an authenticated BTP connection, or the
 * peer's ILP-over-HTTP endpoint.
 */
export interface PeerLink {
  readonly kind: LinkKind;
  sendPrepare(prepare: IlpPrepare, timeoutMs: number): Promise<IlpReply | 'timeout' | 'closed'>;
  /** A BTP Message whose only protocolData entry is `protocolName` (a sub-protocol such as settlement), and its answer. */
  request?(protocolName: string, data: Uint8Array, timeoutMs: number): Promise<SubProtocolReply | 'timeout' | 'closed'>;
}

/** The answer to a sub-protocol message: the Response's entry of that name, or the BTP Error. */
export type SubProtocolReply = { ok: true; data: Uint8Array } | { ok: false; code: string; message: string };

/** Answers a sub-protocol message from an authenticated peer; `code` is a BTP error code (F01 malformed, T00 try later). */
export type SubProtocolHandler = (peerId: string, data: Uint8Array) => Promise<SubProtocolReply>;

/**
 * The links of each peer: its open BTP connections (several with one token are one peer) and its configured
 * ILP-over-HTTP endpoint. An open BTP connection is preferred: it is a peer proven online right now, and cheaper per
 * packet; the HTTP endpoint carries the packets whenever no BTP connection is open.
 */
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

  /** The most recently opened BTP connection of the peer (the likeliest to be alive), else its HTTP link. */
  get(peerId: string): PeerLink | undefined {
    const set = this.links.get(peerId);
    if (!set) return undefined;
    let btp: PeerLink | undefined;
    let http: PeerLink | undefined;
    for (const link of set) {
      if (link.kind === 'btp') btp = link;
      else http = link;
    }
    return btp ?? http;
  }

  /** Open BTP connections of the peer. */
  count(peerId: string): number {
    let n = 0;
    for (const link of this.links.get(peerId) ?? []) if (link.kind === 'btp') n++;
    return n;
  }
}
