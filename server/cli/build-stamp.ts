import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

const SOURCES = [
  "app",
  "components",
  "server",
  "cron",
  "proxy.ts",
  "instrumentation.ts",
  "next.config.mjs",
  "tsconfig.json",
  "package-lock.json",
  "prisma/schema.prisma",
];
const SKIP = new Set(["node_modules", "generated"]);
const STAMP = path.join(".next", "encore-source-hash");

async function* files(entry: string): AsyncGenerator<string> {
  if (!existsSync(entry)) return;
  const dirents = await readdir(entry, { withFileTypes: true }).catch(() => null);
  if (dirents === null) {
    yield entry;
    return;
  }
  for (const d of dirents.sort((a, b) => a.name.localeCompare(b.name))) {
    if (SKIP.has(d.name) || d.name.endsWith(".test.ts")) continue;
    yield* files(path.join(entry, d.name));
  }
}

/** A hash of everything the production build is made from. */
export async function sourceHash(root = process.cwd()): Promise<string> {
  const hash = createHash("sha256");
  for (const source of SOURCES) {
    for await (const file of files(path.join(root, source))) {
      hash
        .update(path.relative(root, file))
        .update("\0")
        .update(await readFile(file))
        .update("\0");
    }
  }
  return hash.digest("hex");
}

/** True when there is no build, or it was made from other sources than the ones on disk. */
export async function buildIsStale(root = process.cwd()): Promise<boolean> {
  if (!existsSync(path.join(root, ".next", "BUILD_ID"))) return true;
  const stamp = await readFile(path.join(root, STAMP), "utf8").catch(() => "");
  return stamp !== (await sourceHash(root));
}

export async function recordBuild(root = process.cwd()): Promise<void> {
  await writeFile(path.join(root, STAMP), await sourceHash(root));
}
