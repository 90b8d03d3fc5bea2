import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { z } from "zod";
import { envSchema, OTHER_VARIABLES, VARIABLE_GROUPS } from "../config/env";
import { DATA_CHECKS } from "../ingestion/checks";
import { checksTable } from "../pipeline/checks";

/** docs/configuration.md and .env.example, written from server/config/env.ts by `npm run docs:config` (which also keeps docs/ingestion.md's check table). */
export const GENERATED_FILES = { markdown: "docs/configuration.md", example: ".env.example" } as const;

const variableDoc = z.object({
  group: z.enum(VARIABLE_GROUPS),
  description: z.string().min(1),
  shownDefault: z.string().optional(),
  example: z.string().optional(),
  accepts: z.string().optional(),
});

const jsonSchemaOf = z.object({
  type: z.string().optional(),
  enum: z.array(z.union([z.string(), z.number()])).optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  exclusiveMinimum: z.number().optional(),
});

interface Variable {
  name: string;
  group: (typeof VARIABLE_GROUPS)[number];
  description: string;
  /** the default as a reader sees it, Markdown */
  shownDefault: string;
  /** the literal default, when the schema gives one */
  literalDefault?: string;
  example?: string;
  accepts: string;
}

// Bounds as wide as a safe integer say nothing a reader needs.
const bound = (n: number | undefined) => (n !== undefined && Math.abs(n) < 1e15 ? n : undefined);

function acceptsOf(schema: z.ZodType): string {
  const json = jsonSchemaOf.parse(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }));
  if (json.enum) return json.enum.map((v) => `\`${v}\``).join(", ");
  const kind = json.type === "integer" ? "integer" : json.type === "number" ? "number" : "text";
  const [min, max] = [bound(json.minimum), bound(json.maximum)];
  if (min !== undefined && max !== undefined) return `${kind} ${min}–${max}`;
  if (json.exclusiveMinimum !== undefined) return `${kind} > ${json.exclusiveMinimum}`;
  if (min !== undefined) return `${kind} ≥ ${min}`;
  return kind;
}

/** Every validated variable, in schema order, with what its `.meta()` says. */
export function variables(): Variable[] {
  return Object.entries(envSchema.shape).map(([name, schema]) => {
    const meta = variableDoc.safeParse(z.globalRegistry.get(schema));
    if (!meta.success) throw new Error(`server/config/env.ts: ${name} needs .meta(doc({ group, description })): ${meta.error.message}`);
    const parsedDefault = schema.safeParse(undefined);
    const literalDefault = parsedDefault.success && parsedDefault.data !== undefined ? String(parsedDefault.data) : undefined;
    return {
      name,
      group: meta.data.group,
      description: meta.data.description,
      shownDefault: meta.data.shownDefault ?? (literalDefault !== undefined ? `\`${literalDefault}\`` : "unset"),
      literalDefault,
      example: meta.data.example,
      accepts: meta.data.accepts ?? acceptsOf(schema),
    };
  });
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

export function configurationMarkdown(): string {
  const all = variables();
  const lines = [
    "# Configuration",
    "",
    "<!-- Generated from server/config/env.ts by `npm run docs:config`: edit the descriptions there. server/cli/docs-config.test.ts fails when this file differs. -->",
    "",
    "Encore is configured by environment variables alone, validated at start (`server/config/env.ts`): a bad",
    "value stops the start with one message listing every problem. Every variable is optional for the",
    "embedded default (`npm start`). `.env.example` lists the same variables with comments. `npm start`",
    "reads its process environment; it does not load `.env` itself, so export them in the shell or set",
    "them in your process manager (e.g. systemd's `EnvironmentFile=`).",
    "",
  ];
  for (const group of VARIABLE_GROUPS) {
    lines.push(`## ${group}`, "", "| variable | default | accepts | meaning |", "| --- | --- | --- | --- |");
    for (const v of all.filter((v) => v.group === group)) {
      lines.push(`| \`${v.name}\` | ${cell(v.shownDefault)} | ${cell(v.accepts)} | ${cell(v.description)} |`);
    }
    lines.push("");
  }
  lines.push(
    "## Read where they are used (not checked at start)",
    "",
    "| variable | for | default | meaning |",
    "| --- | --- | --- | --- |",
    ...OTHER_VARIABLES.map((v) => `| \`${v.name}\` | ${v.use} | ${cell(v.shownDefault)} | ${cell(v.description)} |`),
    "",
  );
  return lines.join("\n");
}

/** Comment lines of at most `width` characters. */
function comment(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = "#";
  for (const word of text.split(/\s+/)) {
    if (line.length + 1 + word.length > width && line !== "#") {
      lines.push(line);
      line = "#";
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

const plain = (markdown: string) => markdown.replaceAll("`", "");

export function envExample(): string {
  const all = variables();
  const lines = [
    "# Encore configuration, generated from server/config/env.ts by `npm run docs:config` (edit the descriptions",
    "# there; docs/configuration.md has the same as tables). Every variable is optional for the embedded",
    "# default (`npm start`). npm start reads its process environment and does not load this file: copy",
    "# it to .env (never committed) and export it (set -a; . ./.env; set +a), or set the variables in",
    "# your process manager.",
  ];
  for (const group of VARIABLE_GROUPS) {
    lines.push("", `# ── ${group} ──`);
    for (const v of all.filter((v) => v.group === group)) {
      lines.push("", ...comment(`${plain(v.description)} Default: ${plain(v.shownDefault)}. Accepts: ${plain(v.accepts)}.`));
      lines.push(`# ${v.name}=${v.example ?? v.literalDefault ?? ""}`);
    }
  }
  lines.push("", "# ── Read where they are used (not checked at start) ──");
  for (const v of OTHER_VARIABLES) {
    lines.push(
      "",
      ...comment(`${v.use === "deployments" ? "" : `${v.use[0]!.toUpperCase()}${v.use.slice(1)}: `}${plain(v.description)} Default: ${plain(v.shownDefault)}.`),
    );
    lines.push(`# ${v.name}=${v.example}`);
  }
  lines.push("");
  return lines.join("\n");
}

export function generatedFiles(): Record<string, string> {
  return { [GENERATED_FILES.markdown]: configurationMarkdown(), [GENERATED_FILES.example]: envExample() };
}

/** docs/ingestion.md, whose data-check table is made from the checks' declarations. */
export const INGESTION_DOC = "docs/ingestion.md";

/** `markdown` with its data-check table (from its header row to the next blank line) replaced by the declared one. */
export function withChecksTable(markdown: string): string {
  const table = checksTable(DATA_CHECKS);
  const start = markdown.indexOf(table.split("\n")[0]!);
  if (start < 0) throw new Error(`${INGESTION_DOC} has no data-check table to keep`);
  const end = markdown.indexOf("\n\n", start);
  return `${markdown.slice(0, start)}${table}${markdown.slice(end)}`;
}

const root = fileURLToPath(new URL("../../", import.meta.url));

async function main() {
  for (const [file, text] of Object.entries(generatedFiles())) {
    await writeFile(path.join(root, file), text);
    console.log(`wrote ${file}`);
  }
  const ingestion = path.join(root, INGESTION_DOC);
  await writeFile(ingestion, withChecksTable(await readFile(ingestion, "utf8")));
  console.log(`wrote the data-check table of ${INGESTION_DOC}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
