import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { PRIVATE_DIR, PRIVATE_FILE } from "./private-files";

const localSecretsSchema = z.object({
  nextauthSecret: z.string().min(32),
  cronSecret: z.string().min(16),
  postgresPassword: z.string().min(16),
});

export type LocalSecrets = z.infer<typeof localSecretsSchema>;

const generate = (): LocalSecrets => ({
  nextauthSecret: randomBytes(32).toString("base64url"),
  cronSecret: randomBytes(24).toString("base64url"),
  postgresPassword: randomBytes(18).toString("base64url"),
});

/** Secrets of the embedded default: generated once, kept in DATA_DIR (mode 0600), never printed. */
export async function localSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = path.join(dataDir, "secrets.json");
  if (existsSync(file)) return localSecretsSchema.parse(JSON.parse(await readFile(file, "utf8")));
  const secrets = generate();
  // Its mode is set where the database is opened (database.ts), which knows whether PostgreSQL must pass through.
  await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR });
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: PRIVATE_FILE, flag: "wx" });
  return secrets;
}
