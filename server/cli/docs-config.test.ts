import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { envSchema, OTHER_VARIABLES } from "../config/env";
import { configurationMarkdown, generatedFiles, INGESTION_DOC, variables, withChecksTable } from "./docs-config";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("docs/configuration.md and .env.example", () => {
  it.each(Object.entries(generatedFiles()))("%s is what `npm run docs:config` writes from server/config/env.ts", async (file, expected) => {
    // When this fails: run `npm run docs:config` and commit the result (edit descriptions in server/config/env.ts, not the file).
    expect(await readFile(path.join(root, file), "utf8")).toBe(expected);
  });

  it("describes every variable of the schema, with its default", () => {
    const described = variables();
    expect(described.map((v) => v.name)).toEqual(Object.keys(envSchema.shape));
    const markdown = configurationMarkdown();
    for (const v of described) {
      expect(markdown).toContain(`| \`${v.name}\` |`);
      expect(v.shownDefault).not.toBe("");
    }
    expect(described.find((v) => v.name === "INGEST_SCHEDULE")?.shownDefault).toBe("`0 2 * * *`");
    for (const v of OTHER_VARIABLES) expect(markdown).toContain(`| \`${v.name}\` |`);
  });
});

describe("docs/ingestion.md", () => {
  it("its data-check table is the one the checks declare (thresholds included)", async () => {
    // When this fails: run `npm run docs:config` and commit the result (edit the declarations in server/ingestion/checks.ts).
    const markdown = await readFile(path.join(root, INGESTION_DOC), "utf8");
    expect(markdown).toBe(withChecksTable(markdown));
    expect(markdown).toContain("| `row_count` | dataset | rows fetched over 20.0% below the median of the last 7 successful runs | over 50.0% below |");
  });
});
