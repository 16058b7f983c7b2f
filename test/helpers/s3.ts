import { S3Client } from '@aws-sdk/client-s3';
import { createRequire } from 'node:module';
import path from 'node:path';

interface S3rver {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
// s3rver ships no types.
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: object) => S3rver;

/** An S3 server in this process (s3rver), with one bucket `backups`, its files under `dir`. */
export interface TestS3 {
  endpoint: string;
  port: number;
  /** A raw client, for tests that reach into the bucket. */
  client: S3Client;
  /** Stops answering (the port closes); `start()` brings it back on the same port with the same files. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
  /** The settings of a peer backing up under `s3://backups/<prefix>`; every clock off unless `more` sets it. */
  env(prefix: string, key: string, more?: Record<string, string>): Record<string, string>;
}

export async function startS3(dir: string): Promise<TestS3> {
  let port = 0;
  let server: S3rver | undefined;
  const start = async () => {
    server = new S3rver({ port, address: '127.0.0.1', silent: true, directory: path.join(dir, 's3'), configureBuckets: [{ name: 'backups', configs: [] }] });
    port = (await server.run()).port;
  };
  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const stop = async () => {
    await server?.close();
    server = undefined;
  };
  return {
    endpoint,
    port,
    client,
    stop,
    start,
    async close() {
      client.destroy();
      await stop();
    },
    env: (prefix, key, more = {}) => ({
      BACKUP_URL: `s3://backups/${prefix}`,
      BACKUP_S3_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      BACKUP_ENCRYPTION_KEY: key,
      BACKUP_OFFSITE_INTERVAL: '0',
      BACKUP_VERIFY_INTERVAL: '0',
      BACKUP_LEDGER_INTERVAL: '0',
      ...more,
    }),
  };
}
