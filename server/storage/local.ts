import { mkdir, open, readdir, rename, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { PRIVATE_DIR, PRIVATE_FILE } from "../runtime/private-files";
import { MissingObjectError, type ObjectStore, type StoredObject } from "./store";

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === "ENOENT";
const isNotEmpty = (error: unknown) => ["ENOTEMPTY", "EEXIST"].includes((error as NodeJS.ErrnoException).code ?? "");

/**
 * A folder on this machine (`npm start`'s default): a key is a file under the root, folders 0700
 * and files 0600. A put writes `<key>.partial` and renames it when whole; a body that fails leaves
 * the `.partial` file with what it had, which the lake reads back to resume a crashed try. A delete
 * removes the folders it leaves empty, so the lake's retention leaves no empty day folders behind.
 */
export class LocalStore implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(/* turbopackIgnore: true */ root);
  }

  get url(): string {
    return this.root;
  }

  private file(key: string): string {
    return path.resolve(/* turbopackIgnore: true */ this.root, key);
  }

  locate(key: string): string {
    return this.file(key);
  }

  /** A path inside the root becomes its key; one outside (a row written under another DATA_LAKE_DIR) stays a path, still readable. */
  keyOf(location: string): string {
    const relative = path.relative(this.root, location);
    return relative.startsWith("..") || path.isAbsolute(relative) ? location : relative.split(path.sep).join("/");
  }

  async put(key: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<{ bytes: number }> {
    const file = this.file(key);
    const partial = `${file}.partial`;
    const handle = await this.create(partial);
    let bytes = 0;
    try {
      // Each write awaited: what the body gave before failing is on disk in the .partial file.
      for await (const chunk of body) {
        await handle.write(chunk);
        bytes += chunk.byteLength;
      }
    } finally {
      await handle.close();
    }
    await rename(partial, file);
    return { bytes };
  }

  async get(key: string): Promise<Readable> {
    try {
      // Opened here, not lazily by the stream: a missing file fails the call, not a later read.
      return (await open(this.file(key), "r")).createReadStream();
    } catch (error) {
      if (isMissing(error)) throw new MissingObjectError(this.locate(key));
      throw error;
    }
  }

  async stat(key: string): Promise<{ bytes: number } | null> {
    try {
      return { bytes: (await stat(this.file(key))).size };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const folder = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
    const entries = await readdir(this.file(folder), { recursive: true, withFileTypes: true }).catch((error: unknown) => {
      if (isMissing(error)) return [];
      throw error;
    });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(this.root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
      .filter((key) => key.startsWith(prefix))
      .sort();
  }

  async listSizes(prefix: string): Promise<StoredObject[]> {
    const sized = await Promise.all((await this.list(prefix)).map(async (key) => ({ key, size: await this.stat(key) })));
    // A file gone between the listing and its stat (a .partial renamed, a delete) is no longer stored.
    return sized.flatMap(({ key, size }) => (size ? [{ key, bytes: size.bytes }] : []));
  }

  async delete(key: string): Promise<void> {
    const file = this.file(key);
    await rm(file, { force: true });
    // Up to the root and no further, stopping at the first folder that still holds something.
    for (let folder = path.dirname(file); folder !== this.root && folder.startsWith(`${this.root}${path.sep}`); folder = path.dirname(folder)) {
      try {
        await rmdir(folder);
      } catch (error) {
        if (isNotEmpty(error)) return;
        if (!isMissing(error)) throw error;
      }
    }
  }

  /** Opens `file` for writing in its folder, made again when a delete of its last object removed it meanwhile. */
  private async create(file: string) {
    for (let attempt = 1; ; attempt++) {
      await mkdir(path.dirname(file), { recursive: true, mode: PRIVATE_DIR });
      try {
        return await open(file, "w", PRIVATE_FILE);
      } catch (error) {
        if (!isMissing(error) || attempt === 3) throw error;
      }
    }
  }
}
