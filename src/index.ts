/*
 * The package entry, bundled to dist/peer.js: the library's exports, and the command line (src/cli.ts) when that
 * file is run as the binary.
 */
import { runCli } from './cli';
import { bundled } from './native';

export { startPeer, type StartedPeer } from './library';
export type { Config, ConfigInput } from './config/load';
export { reconcileWithRelay, RelayLink, syncRelays, type ReconcileResult, type SyncResult } from './sync';
export { ItemSetBuilder, itemSetOf } from './nostr/negentropy';

if (bundled && require.main === module) runCli(process.argv.slice(2));
