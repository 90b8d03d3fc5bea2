import type { S3Client } from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import { MissingObjectError, type ObjectStore, type StoredObject } from "./store";

/** 8 MiB parts, two in flight: an upload holds about 16 MiB whatever the object's size (S3 allows 10,000 parts: 80 GB). */
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

const isMissing = (error: unknown) => ["NoSuchKey", "NotFound"].includes((error as { name?: string }).name ?? "");

type Sdk = typeof import("@aws-sdk/client-s3");

/** Loaded on first use: the SDK costs every process about 1.7 s and 16 MB to import, and a local store never needs it. */
async function loadSdk() {
  const [sdk, { Upload }] = await Promise.all([import("@aws-sdk/client-s3"), import("@aws-sdk/lib-storage")]);
  return { sdk, Upload };
}

/**
 * The SDK's own configuration: AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (or any of its
 * credential sources), and AWS_ENDPOINT_URL_S3 for a store that is not AWS, addressed by path
 * (`endpoint/bucket/key`) because such stores seldom have a DNS name per bucket.
 */
function clientFromEnvironment(sdk: Sdk): S3Client {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new sdk.S3Client({
    forcePathStyle: endpoint !== undefined,
    // Other S3-compatible stores often refuse the CRC32 trailers the SDK now adds by default.
    ...(endpoint !== undefined && { requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" }),
  });
}

/** `s3://bucket/prefix`: every key lives under `prefix/` in `bucket`. */
export class S3Store implements ObjectStore {
  readonly bucket: string;
  private readonly prefix: string;
  private loaded: Promise<Awaited<ReturnType<typeof loadSdk>> & { client: S3Client }> | null = null;

  constructor(
    readonly url: string,
    private readonly givenClient?: S3Client,
  ) {
    const parsed = new URL(url);
    if (parsed.protocol !== "s3:" || parsed.hostname === "") throw new Error(`STORAGE_URL ${url} is not s3://bucket/prefix`);
    this.bucket = parsed.hostname;
    const prefix = parsed.pathname.replace(/^\/+|\/+$/g, "");
    this.prefix = prefix === "" ? "" : `${prefix}/`;
  }

  private async load() {
    const { sdk, Upload } = await loadSdk();
    return { sdk, Upload, client: this.givenClient ?? clientFromEnvironment(sdk) };
  }

  private sdk() {
    return (this.loaded ??= this.load());
  }

  private objectKey(key: string): string {
    return `${this.prefix}${key}`;
  }

  locate(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  keyOf(location: string): string {
    const root = this.locate("");
    if (!location.startsWith(root)) throw new Error(`${location} is not in ${this.url}: it was stored under another STORAGE_URL or DATA_LAKE_DIR`);
    return location.slice(root.length);
  }

  async put(key: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<{ bytes: number }> {
    const { Upload, client } = await this.sdk();
    let bytes = 0;
    async function* counted() {
      for await (const chunk of body) {
        bytes += chunk.byteLength;
        yield chunk;
      }
    }
    // A multipart upload; on failure lib-storage aborts it, so no object and no parts are left.
    const upload = new Upload({
      client,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: Readable.from(counted(), { objectMode: false }) },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
    });
    await upload.done();
    return { bytes };
  }

  async get(key: string): Promise<Readable> {
    try {
      const { sdk, client } = await this.sdk();
      const { Body } = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      if (!(Body instanceof Readable)) throw new Error(`${this.locate(key)}: the S3 client gave no stream`);
      return Body;
    } catch (error) {
      if (isMissing(error)) throw new MissingObjectError(this.locate(key));
      throw error;
    }
  }

  async stat(key: string): Promise<{ bytes: number } | null> {
    try {
      const { sdk, client } = await this.sdk();
      const head = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return { bytes: head.ContentLength ?? 0 };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.listSizes(prefix)).map((object) => object.key);
  }

  async listSizes(prefix: string): Promise<StoredObject[]> {
    const { sdk, client } = await this.sdk();
    const objects: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.objectKey(prefix), ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key) objects.push({ key: object.Key.slice(this.prefix.length), bytes: object.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const { sdk, client } = await this.sdk();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }
}
