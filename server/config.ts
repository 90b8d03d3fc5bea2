import { parseEnv, type Env } from "./env";

let cached: Env | undefined;

/** The validated environment of this process, read once. */
export function env(): Env {
  return (cached ??= parseEnv());
}
