import path from 'node:path';

/** The one SQLite file of a peer's DATA_DIR: served by the composition root, and opened by migrate/backup/restore. */
export const databaseFile = (dataDir: string) => path.join(dataDir, 'peer.sqlite');
