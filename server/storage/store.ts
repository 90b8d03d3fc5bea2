import type { Readable } from "node:stream";

/**
 * Where everything that is not a row lives: the lake's raw pages, training snapshots and model
 * artefacts. Keys are `/`-separated paths relative to the store's root (`snapshots/<digest>.snap`).
 * Bodies go in and come out as streams, so no object is ever held whole in memory.
 */
export interface ObjectStore {
  /** What reopens this store with `openStore` (e.g. on a worker thread): a folder's absolute path, or `s3://bucket/prefix`. */
  readonly url: string;
  /** Where `key` is, as the registry records it and logs show it: a file path, or an `s3://` URL. */
  locate(key: string): string;
  /** The key of a location `locate` gave; refuses one that is not in this store. */
  keyOf(location: string): string;
  /** Stores `body` under `key`, visible only once whole; a body that throws leaves no object at `key`. */
  put(key: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<{ bytes: number }>;
  /** The object's bytes as a stream; throws MissingObjectError when there is none. */
  get(key: string): Promise<Readable>;
  stat(key: string): Promise<{ bytes: number } | null>;
  /** Every key that starts with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** The same keys with their sizes, in one listing (no request per object on S3). */
  listSizes(prefix: string): Promise<StoredObject[]>;
  /** Removes the object; nothing happens when there is none. */
  delete(key: string): Promise<void>;
}

export interface StoredObject {
  key: string;
  bytes: number;
}

export class MissingObjectError extends Error {
  constructor(readonly location: string) {
    super(`${location} does not exist`);
    this.name = "MissingObjectError";
  }
}
