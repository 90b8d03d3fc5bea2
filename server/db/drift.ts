import { readFile } from "node:fs/promises";
import path from "node:path";
import { get_dmmf } from "@prisma/prisma-schema-wasm";
import pg from "pg";

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "object" | "enum" | "unsupported";
  type: string;
  isList: boolean;
  isRequired: boolean;
  nativeType?: [string, string[]] | null;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfEnum {
  name: string;
  dbName?: string | null;
  values: { name: string; dbName?: string | null }[];
}

interface ColumnRow {
  table_name: string;
  column_name: string;
  udt_name: string;
  is_nullable: "YES" | "NO";
  datetime_precision: number | null;
}

const SCALAR_UDT: Record<string, string> = {
  Int: "int4",
  BigInt: "int8",
  String: "text",
  Boolean: "bool",
  DateTime: "timestamp",
  Json: "jsonb",
  Float: "float8",
  Decimal: "numeric",
  Bytes: "bytea",
};

const NATIVE_UDT: Record<string, string> = {
  Timestamptz: "timestamptz",
  Timestamp: "timestamp",
  VarChar: "varchar",
  Char: "bpchar",
  Text: "text",
  Uuid: "uuid",
  Integer: "int4",
  SmallInt: "int2",
  BigInt: "int8",
  DoublePrecision: "float8",
  Real: "float4",
  Date: "date",
  JsonB: "jsonb",
  Json: "json",
};

function expectedUdt(field: DmmfField, enums: Map<string, string>): string {
  const base =
    field.kind === "enum"
      ? enums.get(field.type)!
      : field.nativeType
        ? (NATIVE_UDT[field.nativeType[0]] ?? field.nativeType[0].toLowerCase())
        : (SCALAR_UDT[field.type] ?? field.type.toLowerCase());
  return field.isList ? `_${base}` : base;
}

function expectedPrecision(field: DmmfField): number | null {
  // PostgreSQL reports no precision for an array column, whatever its elements'.
  if (field.type !== "DateTime" || field.isList) return null;
  // A date has no fractional seconds (PostgreSQL reports precision 0).
  if (field.nativeType?.[0] === "Date") return 0;
  const argument = field.nativeType?.[1]?.[0];
  return argument === undefined ? 3 : Number(argument);
}

/**
 * Differences between `schema.prisma` and the database's tables, columns, types, nullability and enums;
 * empty when they agree. Stands in for `prisma migrate diff`, whose engine this environment cannot fetch.
 */
export async function schemaDrift(connectionString: string, schemaPath = path.join(process.cwd(), "prisma", "schema.prisma")): Promise<string[]> {
  const schema = await readFile(schemaPath, "utf8");
  const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: schema }))) as {
    datamodel: { models: DmmfModel[]; enums: DmmfEnum[] };
  };
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rows: columns } = await client.query<ColumnRow>(`
      SELECT c.table_name, c.column_name, c.udt_name, c.is_nullable, c.datetime_precision
        FROM information_schema.columns c
        JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
       WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> '_prisma_migrations'
         -- A partition is its partitioned table's, which the model describes.
         AND NOT (SELECT relispartition FROM pg_class WHERE oid = format('%I.%I', c.table_schema, c.table_name)::regclass)`);
    const { rows: enumRows } = await client.query<{ name: string; value: string }>(`
      SELECT t.typname AS name, e.enumlabel AS value
        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
       WHERE n.nspname = current_schema() ORDER BY t.typname, e.enumsortorder`);
    return compare(dmmf.datamodel, ignoredTables(schema), columns, enumRows);
  } finally {
    await client.end();
  }
}

/**
 * Tables of `@@ignore` models (one without a key, which Prisma Client cannot write), which the DMMF
 * leaves out: each must exist; its columns are not compared.
 */
function ignoredTables(schema: string): string[] {
  return [...schema.matchAll(/^model\s+(\w+)\s*\{([^}]*)\}/gm)]
    .filter(([, , body]) => /^\s*@@ignore\b/m.test(body!))
    .map(([, name, body]) => /^\s*@@map\("([^"]+)"\)/m.exec(body!)?.[1] ?? name!);
}

function compare(
  datamodel: { models: DmmfModel[]; enums: DmmfEnum[] },
  ignored: string[],
  columns: ColumnRow[],
  enumRows: { name: string; value: string }[],
): string[] {
  const problems: string[] = [];
  const enumDbNames = new Map(datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));
  const dbTables = new Map<string, Map<string, ColumnRow>>();
  for (const column of columns) {
    if (!dbTables.has(column.table_name)) dbTables.set(column.table_name, new Map());
    dbTables.get(column.table_name)!.set(column.column_name, column);
  }

  for (const model of datamodel.models) {
    const table = model.dbName ?? model.name;
    const dbColumns = dbTables.get(table);
    if (!dbColumns) {
      problems.push(`model ${model.name}: table "${table}" is missing from the database`);
      continue;
    }
    const expected = new Set<string>();
    for (const field of model.fields.filter((f) => f.kind !== "object")) {
      const name = field.dbName ?? field.name;
      expected.add(name);
      const column = dbColumns.get(name);
      const where = `${model.name}.${field.name} ("${table}"."${name}")`;
      if (!column) {
        problems.push(`${where}: column is missing from the database`);
        continue;
      }
      const udt = expectedUdt(field, enumDbNames);
      if (column.udt_name !== udt) problems.push(`${where}: schema says ${udt}, database has ${column.udt_name}`);
      const precision = expectedPrecision(field);
      if (precision !== null && column.datetime_precision !== precision) {
        problems.push(`${where}: schema says precision ${precision}, database has ${column.datetime_precision}`);
      }
      // Prisma creates list columns without NOT NULL, whatever the schema says.
      const nullable = field.isList || !field.isRequired;
      if ((column.is_nullable === "YES") !== nullable) {
        problems.push(`${where}: schema says ${nullable ? "nullable" : "NOT NULL"}, database has ${column.is_nullable === "YES" ? "nullable" : "NOT NULL"}`);
      }
    }
    for (const name of dbColumns.keys()) {
      if (!expected.has(name)) problems.push(`table "${table}": column "${name}" is not in model ${model.name}`);
    }
    dbTables.delete(table);
  }
  for (const table of ignored) {
    if (!dbTables.delete(table)) problems.push(`table "${table}" (an @@ignore model's) is missing from the database`);
  }
  for (const table of dbTables.keys()) problems.push(`table "${table}" has no model in schema.prisma`);

  const dbEnums = new Map<string, string[]>();
  for (const row of enumRows) dbEnums.set(row.name, [...(dbEnums.get(row.name) ?? []), row.value]);
  for (const e of datamodel.enums) {
    const name = e.dbName ?? e.name;
    const want = e.values.map((v) => v.dbName ?? v.name).join(", ");
    const have = dbEnums.get(name)?.join(", ");
    if (have === undefined) problems.push(`enum ${e.name}: type "${name}" is missing from the database`);
    else if (have !== want) problems.push(`enum ${e.name}: schema says (${want}), database has (${have})`);
    dbEnums.delete(name);
  }
  for (const name of dbEnums.keys()) problems.push(`enum type "${name}" has no enum in schema.prisma`);
  return problems;
}
