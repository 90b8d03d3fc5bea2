import path from "node:path";
import { openStore } from "../../storage/open";
import type { ObjectStore } from "../../storage/store";

/**
 * Where `--out` or `--from` points: an `s3://` URL or a folder path (absolute, or starting with `.`)
 * is a store of its own; anything else is a key prefix in Encore's store (`exports/snapshot-3`).
 */
export function exchangeLocation(value: string, encoreStore: ObjectStore): { store: ObjectStore; prefix: string } {
  if (value.startsWith("s3://") || path.isAbsolute(value) || value.startsWith(".")) return { store: openStore(value), prefix: "" };
  return { store: encoreStore, prefix: value.replace(/^\/+|\/+$/g, "") };
}
