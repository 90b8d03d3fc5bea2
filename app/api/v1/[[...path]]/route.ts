import { clientIp } from "@/server/auth/client-ip";
import { database } from "@/server/db/client";
import { readBoundedBody } from "@/server/http/body";
import { handleRest } from "@/server/serving/rest";

export const dynamic = "force-dynamic";

// `npm start` answers /api/v1 in its own HTTP server before Next.js (server/serving/node-http.ts); this serves `next dev`.
async function handler(request: Request) {
  const url = new URL(request.url);
  const response = await handleRest(
    {
      method: request.method,
      url: url.pathname + url.search,
      authorization: request.headers.get("authorization") ?? undefined,
      contentType: request.headers.get("content-type") ?? undefined,
      ip: clientIp(request.headers),
      body: async (maxBytes) => {
        const body = await readBoundedBody(request, maxBytes);
        return body && Buffer.from(body);
      },
    },
    database,
  );
  const body = request.method === "HEAD" ? null : typeof response.body === "string" ? response.body : new Uint8Array(response.body);
  return new Response(body, { status: response.status, headers: response.headers });
}

export { handler as GET, handler as POST, handler as HEAD, handler as PUT, handler as PATCH, handler as DELETE };
