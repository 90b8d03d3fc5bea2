import { describe, expect, it, vi } from "vitest";
import { POST } from "@/app/api/trpc/[trpc]/route";

describe("the tRPC route", () => {
  it("answers 400, and logs nothing, when the client drops its body mid-upload", async () => {
    const errors = vi.spyOn(console, "error");
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"json":{"search":"'));
        controller.error(Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
      },
    });
    const response = await POST(new Request("http://encore.test/api/trpc/data.tracks", { method: "POST", body, duplex: "half" } as RequestInit));
    expect(response.status).toBe(400);
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
  });
});
