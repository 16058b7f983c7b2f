/** NIP-77 clients: reconcile a local set with a relay, and make two relays hold the same events. */
export { fetchEvents, type FetchResult } from './fetch-events';
export { publishEvents, type PublishResult } from './publish-events';
export { reconcileWithRelay, type ReconcileOptions, type ReconcileResult } from './reconcile-with-relay';
export { Inbox, RelayLink, type WebSocketConstructor, type WebSocketLike } from './relay-link';
export { syncRelays, type SyncOptions, type SyncResult } from './sync-relays';
