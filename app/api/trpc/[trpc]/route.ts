import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { readBoundedBody } from "@/server/http/body";
import { createContext } from "@/server/trpc/context";
import { retryAfterHeaders } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";
import { MAX_BATCH_SIZE, MAX_BODY_BYTES } from "@/server/trpc/limits";

const tooLarge = () =>
  Response.json(
    {
      error: {
        json: { message: `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`, code: -32600, data: { code: "PAYLOAD_TOO_LARGE", httpStatus: 413 } },
      },
    },
    { status: 413 },
  );

// The client went before sending its whole body: its doing, not the server's error (nobody reads this answer).
const incomplete = () =>
  Response.json(
    { error: { json: { message: "The request body ended before it was complete.", code: -32600, data: { code: "BAD_REQUEST", httpStatus: 400 } } } },
    { status: 400 },
  );

async function handler(req: Request) {
  let request = req;
  if (req.method === "POST") {
    const body = await readBoundedBody(req, MAX_BODY_BYTES).catch(() => undefined);
    if (body === undefined) return incomplete();
    if (body === null) return tooLarge();
    request = new Request(req.url, { method: "POST", headers: req.headers, body });
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    // One request may not make the server do unbounded work: more calls than this get a 400.
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: () => createContext(req.headers),
    responseMeta: retryAfterHeaders,
  });
}

export { handler as GET, handler as POST };
