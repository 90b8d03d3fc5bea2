import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { PRIVATE_DIR, PRIVATE_FILE } from "../runtime/private-files";
import { MissingObjectError, type ObjectStore } from "./store";

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === "ENOENT";

/**
 * A folder on this machine (`npm start`'s default): a key is a file under the root, folders 0700
 * and files 0600. A put writes `<key>.partial` and renames it when whole; a body that fails leaves
 * the `.partial` file with what it had, which the lake reads back to resume a crashed try.
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
    await mkdir(path.dirname(file), { recursive: true, mode: PRIVATE_DIR });
    const handle = await open(partial, "w", PRIVATE_FILE);
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

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }
}
