import { describe, expect, it } from "vitest";
import { z } from "zod";
import { JsonShapeError, readJson, writeJson } from "./json";

const shape = z.object({ n: z.number(), note: z.string().optional() });

describe("JSON columns read with their schema", () => {
  it("gives the value typed when it has the shape, and an error naming the column when it has not", () => {
    expect(readJson("t.c", shape, { n: 1 })).toEqual({ n: 1 });
    expect(() => readJson("t.c", shape, { n: "1" })).toThrow(JsonShapeError);
    expect(() => readJson("t.c", shape, { n: "1" })).toThrow(/t\.c holds a value of another shape.*n/s);
  });

  it("refuses to write a value that is not of the column's shape", () => {
    expect(writeJson(shape, { n: 2 })).toEqual({ n: 2 });
    expect(() => writeJson(shape, { n: Number.NaN })).toThrow();
  });
});
