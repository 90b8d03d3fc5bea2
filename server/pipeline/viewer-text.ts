import path from "node:path";
import { redactSecrets } from "../lib/redact";
import { lakeDir as lakeDirOf } from "../storage/open";

/** Folders whose absolute paths say nothing to a viewer but where the server keeps its files, longest first. */
function roots(): [string, string][] {
  const dataDir = path.resolve(/* turbopackIgnore: true */ process.env.DATA_DIR ?? ".data");
  const lakeDir = lakeDirOf({ DATA_DIR: dataDir, DATA_LAKE_DIR: process.env.DATA_LAKE_DIR });
  const named: [string, string][] = [
    [lakeDir, "DATA_LAKE_DIR"],
    [dataDir, "DATA_DIR"],
    [process.cwd(), "."],
  ];
  return named.filter(([root]) => root !== "/").sort((a, b) => b[0].length - a[0].length);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Text a run writes to the ledger, where every viewer reads it: no credential, and the server's own
 * folders named by their setting (`DATA_LAKE_DIR/models/…`) instead of absolute paths on its disk.
 */
export function forViewers(text: string): string {
  let out = redactSecrets(text);
  for (const [root, name] of roots()) out = out.replace(new RegExp(`${escapeRegExp(root)}(?![\\w.-])`, "g"), name);
  return out;
}
