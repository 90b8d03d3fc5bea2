import { chmod, mkdir } from "node:fs/promises";

/** Folders and files Encore writes under DATA_DIR and DATA_LAKE_DIR: e-mail addresses and secrets, for this user alone. */
export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;
/** As root with the embedded PostgreSQL, the `postgres` user must pass through DATA_DIR (to DATA_DIR/pg), not list it. */
const TRAVERSABLE_DIR = 0o711;

/** Creates `dir` if needed and makes it private, also when an older version made it readable to others. */
export async function ensurePrivateDir(dir: string, { traversable = false } = {}): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
  await chmod(dir, traversable ? TRAVERSABLE_DIR : PRIVATE_DIR);
}
