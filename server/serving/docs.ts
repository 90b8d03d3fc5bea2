import { readFile } from "node:fs/promises";
import path from "node:path";

// The interactive reference is Swagger UI (swagger-ui-dist), served from node_modules: nothing loads from elsewhere.
const ASSETS: Record<string, { file: string; type: string }> = {
  "swagger-ui.css": { file: "swagger-ui.css", type: "text/css; charset=utf-8" },
  "swagger-ui-bundle.js": { file: "swagger-ui-bundle.js", type: "text/javascript; charset=utf-8" },
};

export const DOCS_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Encore serving API</title><link rel="stylesheet" href="/api/v1/docs/swagger-ui.css"></head>
<body><div id="reference"></div><script src="/api/v1/docs/swagger-ui-bundle.js"></script><script src="/api/v1/docs/init.js"></script></body>
</html>`;

// An external file: the page's CSP allows no inline script.
const INIT = `window.ui = SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#reference", deepLinking: true, persistAuthorization: false });`;

const cache = new Map<string, Buffer>();

/** The docs page or one of its assets; null for any other name. */
export async function docsAsset(name: string): Promise<{ body: string | Buffer; type: string } | null> {
  if (name === "") return { body: PAGE, type: "text/html; charset=utf-8" };
  if (name === "init.js") return { body: INIT, type: "text/javascript; charset=utf-8" };
  const asset = ASSETS[name];
  if (!asset) return null;
  let body = cache.get(name);
  if (!body) {
    body = await readFile(path.join(process.cwd(), "node_modules", "swagger-ui-dist", asset.file));
    cache.set(name, body);
  }
  return { body, type: asset.type };
}
