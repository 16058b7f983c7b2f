import type { IlpPrepare } from '../ilp';
import type { IlpReply } from './local-receiver';

/** One authenticated BTP connection of a peer, able to carry a Prepare and wait for its reply. */
export interface PeerLink {
  sendPrepare(prepare: IlpPrepare, timeoutMs: number): Promise<IlpReply | 'timeout' | 'closed'>;
}

/** The open BTP connections of each peer; several connections with one token are one peer. */
export class PeerLinks {
  private readonly links = new Map<string, Set<PeerLink>>();

  add(peerId: string, link: PeerLink): void {
    let set = this.links.get(peerId);
    if (!set) this.links.set(peerId, (set = new Set()));
    set.add(link);
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
