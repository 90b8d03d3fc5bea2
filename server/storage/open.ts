import path from "node:path";
import type { Env } from "../config/env";
import { LocalStore } from "./local";
import { S3Store } from "./s3";
import type { ObjectStore } from "./store";

/** The lake folder: DATA_LAKE_DIR, else `DATA_DIR/lake`, absolute. */
export const lakeDir = (env: Pick<Env, "DATA_DIR" | "DATA_LAKE_DIR">): string =>
  path.resolve(/* turbopackIgnore: true */ env.DATA_LAKE_DIR ?? path.join(env.DATA_DIR, "lake"));

/** `s3://bucket/prefix` opens an S3-compatible store; anything else is a folder on this machine. */
export function openStore(url: string): ObjectStore {
  return url.startsWith("s3://") ? new S3Store(url) : new LocalStore(url);
}

/** STORAGE_URL's store, else the lake folder. */
export const storeOf = (env: Pick<Env, "DATA_DIR" | "DATA_LAKE_DIR" | "STORAGE_URL">): ObjectStore => openStore(env.STORAGE_URL ?? lakeDir(env));
