import os from "node:os";
import { parseArgs } from "node:util";
import { z } from "zod";
import { createDatabase } from "../db/client";
import { parseEnv } from "../config/env";
import { openDatabase } from "../runtime/database";
import { createApiKey, listApiKeys, revokeApiKey } from "../serving/api-keys";
import { newApiKeyInput } from "../trpc/routers/api-keys";
import { runCommand, UsageError } from "./command";

const USAGE = `npm run apikey -- create --name <name> --scopes recommendations:read,events:write [--rate <per second>] [--burst <n>]
npm run apikey -- list
npm run apikey -- revoke --id <id>`;

/** Keys for automation; `create` prints the new key alone on its last line (and nowhere else, ever). */
async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { name: { type: "string" }, scopes: { type: "string" }, rate: { type: "string" }, burst: { type: "string" }, id: { type: "string" } },
  });
  const command = positionals[0];
  if (!command || !["create", "list", "revoke"].includes(command)) throw new UsageError(`Unknown command ${command ?? "(none)"}.`);
  const env = parseEnv();
  const opened = await openDatabase(env, (line) => console.error(line));
  const database = createDatabase(opened.url, 2);
  const actor = { email: `cli:${os.userInfo().username}` };
  try {
    if (command === "create") {
      const input = newApiKeyInput.safeParse({
        name: values.name,
        scopes: (values.scopes ?? "")
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
        ratePerSecond: values.rate === undefined ? undefined : Number(values.rate),
        burst: values.burst === undefined ? undefined : Number(values.burst),
      });
      if (!input.success) throw new UsageError(z.prettifyError(input.error));
      const { key, record } = await createApiKey(database.db, input.data, actor);
      console.error(
        `Created API key ${record.id} "${record.name}" (${record.prefix}…) with ${record.scopes.join(", ")}, ${record.ratePerSecond}/s burst ${record.burst}. It is shown once:`,
      );
      console.log(key);
    } else if (command === "list") {
      for (const k of await listApiKeys(database.db)) {
        const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : `last used ${k.lastUsedAt?.toISOString() ?? "never"}`;
        console.log(`${k.id}\t${k.prefix}…\t${k.name}\t${k.scopes.join(",")}\t${state}`);
      }
    } else {
      const id = z.coerce.number().int().min(1).max(2_147_483_647).safeParse(values.id);
      if (!id.success) throw new UsageError("--id must be a key's id (see `npm run apikey -- list`).");
      if (!(await revokeApiKey(database.db, id.data, actor))) throw new UsageError(`No live API key ${id.data}.`);
      console.error(`Revoked API key ${id.data}.`);
    }
  } finally {
    await database.close();
    await opened.stop();
  }
}

runCommand(main, USAGE);
