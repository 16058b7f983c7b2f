import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import type { Config } from '../../config/load';

/** Parts of a multipart upload: memory per upload is about partBytes × queueSize. */
const PART_BYTES = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;
/** One request that hangs (a stalled service) is given up after this long; the schedule retries later. */
const REQUEST_TIMEOUT_MS = 60_000;

export interface S3Location {
  bucket: string;
  /** '' or ending in '/'. */
  prefix: string;
}

/** `s3://bucket/some/prefix` → `{bucket, prefix: 'some/prefix/'}`. */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m) throw new Error(`not an s3:// URL: ${url}`);
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: m[1], prefix: prefix ? `${prefix}/` : '' };
}

export interface S3Object {
  key: string;
  bytes: number;
  modified: number;
}

/** The bucket under BACKUP_URL, through the AWS SDK: what the off-site backups need, nothing more. */
export class S3Target {
  readonly location: S3Location;
  private readonly client: S3Client;

  constructor(config: Pick<Config, 'backupUrl' | 'backupS3Endpoint' | 'awsAccessKeyId' | 'awsSecretAccessKey' | 'awsRegion'>) {
    this.location = parseS3Url(config.backupUrl);
    this.client = new S3Client({
      region: config.awsRegion || 'us-east-1',
      // A custom endpoint (B2, R2, MinIO) gets the bucket in the path, as Litestream does: no wildcard DNS needed.
      ...(config.backupS3Endpoint ? { endpoint: config.backupS3Endpoint, forcePathStyle: true } : {}),
      ...(config.awsAccessKeyId
        ? { credentials: { accessKeyId: config.awsAccessKeyId, secretAccessKey: config.awsSecretAccessKey } }
        : {}),
      requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: 10_000 },
      maxAttempts: 3,
      // Checksums only where S3 requires them: several S3-compatible services refuse the newer default trailers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** `s3://bucket/prefix/` + `name`, as `restore` takes it. */
  url(name: string): string {
    return `s3://${this.location.bucket}/${this.location.prefix}${name}`;
  }

  key(name: string): string {
    return `${this.location.prefix}${name}`;
  }

  /** Streams `body` to `name` (multipart beyond one part); the object exists only once the upload completed. */
  async upload(name: string, body: Readable, signal?: AbortSignal, onBytes?: (sent: number) => void): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.location.bucket, Key: this.key(name), Body: body, ContentType: 'application/octet-stream' },
      partSize: PART_BYTES,
      queueSize: QUEUE_SIZE,
      // A failed upload aborts its multipart upload: no parts are left behind to be billed.
      leavePartsOnError: false,
    });
    if (onBytes) upload.on('httpUploadProgress', (p) => onBytes(p.loaded ?? 0));
    const abort = () => void upload.abort().catch(() => {});
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await upload.done();
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  async putSmall(name: string, body: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.location.bucket, Key: this.key(name), Body: body, ContentType: 'application/json' }),
    );
  }

  async download(name: string, signal?: AbortSignal): Promise<{ body: Readable; bytes: number }> {
    const r = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(name) }), { abortSignal: signal });
    return { body: r.Body as Readable, bytes: r.ContentLength ?? 0 };
  }

  async getSmall(name: string, maxBytes: number): Promise<string> {
    const { body } = await this.download(name);
    const parts: Buffer[] = [];
    let n = 0;
    for await (const c of body) {
      n += (c as Buffer).length;
      if (n > maxBytes) {
        body.destroy();
        throw new Error(`${this.url(name)} is over ${maxBytes} bytes`);
      }
      parts.push(c as Buffer);
    }
    return Buffer.concat(parts).toString('utf8');
  }

  /** Every object under `prefix + sub`, at most `max` (a bound on what a listing may cost). */
  async list(sub: string, max = 100_000): Promise<S3Object[]> {
    const out: S3Object[] = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: this.key(sub), ContinuationToken: token }),
      );
      for (const o of (r.Contents ?? []) as _Object[]) {
        out.push({ key: o.Key!.slice(this.location.prefix.length), bytes: o.Size ?? 0, modified: o.LastModified?.getTime() ?? 0 });
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token && out.length < max);
    return out;
  }

  async remove(names: string[]): Promise<void> {
    for (let i = 0; i < names.length; i += 1000) {
      const batch = names.slice(i, i + 1000);
      await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.location.bucket,
          Delete: { Objects: batch.map((n) => ({ Key: this.key(n) })), Quiet: true },
        }),
      );
    }
  }

  /** Multipart uploads under `sub` started before `before` and never completed (a process killed mid-upload). */
  async abortUploads(sub: string, before: number): Promise<number> {
    const r = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.location.bucket, Prefix: this.key(sub) }));
    let n = 0;
    for (const u of r.Uploads ?? []) {
      if (!u.Key || !u.UploadId || (u.Initiated?.getTime() ?? 0) >= before) continue;
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.location.bucket, Key: u.Key, UploadId: u.UploadId }));
      n++;
    }
    return n;
  }

  destroy(): void {
    this.client.destroy();
  }
}
