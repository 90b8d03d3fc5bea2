import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";
import type { FormatsPlugin } from "ajv-formats";

interface Document {
  components: unknown;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
}

export interface Contract {
  /** Throws unless `body` is what the document promises for this path template, method and status. */
  check(path: string, method: string, status: number, body: unknown): void;
}

/** Validates the document against the OpenAPI 3.1 schema, then answers against its response schemas (JSON Schema 2020-12). */
export async function contractOf(document: unknown): Promise<Contract> {
  const result = await new Validator().validate(document as Parameters<Validator["validate"]>[0]);
  if (!result.valid) throw new Error(`The OpenAPI document is invalid: ${JSON.stringify(result.errors).slice(0, 2000)}`);
  const doc = document as Document;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormatsPlugin as unknown as FormatsPlugin)(ajv);
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  return {
    check(path, method, status, body) {
      const response = doc.paths[path]?.[method.toLowerCase()]?.responses[String(status)];
      if (!response) throw new Error(`The document has no ${status} answer for ${method} ${path}.`);
      const schema = response.content?.["application/json"]?.schema;
      if (!schema) throw new Error(`The document has no JSON body for ${status} of ${method} ${path}.`);
      const key = `${method} ${path} ${status}`;
      const validate = compiled.get(key) ?? ajv.compile({ ...schema, components: doc.components });
      compiled.set(key, validate);
      if (!validate(body))
        throw new Error(`${method} ${path} ${status} breaks the contract: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
    },
  };
}
