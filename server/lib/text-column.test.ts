import { describe, expect, it } from "vitest";
import { TextColumn } from "./text-column";

describe("TextColumn", () => {
  it("gives back each string as it was, whatever its encoding's width", () => {
    const values = ["Été", "", "naïve “quoted”", "😀 emoji", "\u0000nul", "plain", ""];
    const column = TextColumn.of(values);
    expect(column.length).toBe(values.length);
    expect(Array.from({ length: values.length }, (_, i) => column.at(i))).toEqual(values);
  });

  it("has nothing past its ends or between its indices", () => {
    const column = TextColumn.of(["a", "b"]);
    for (const i of [-1, 2, 0.5, Number.NaN]) expect(column.at(i)).toBeUndefined();
    expect(TextColumn.of([]).at(0)).toBeUndefined();
  });
});
