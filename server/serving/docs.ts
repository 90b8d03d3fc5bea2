import { readFile } from "node:fs/promises";
import path from "node:path";

// The interactive reference is Swagger UI (swagger-ui-dist), served from node_modules: nothing loads from elsewhere.
const ASSETS: Record<string, { file: string; type: string }> = {
  "swagger-ui.css": { file: "swagger-ui.css", type: "text/css; charset=utf-8" },
  "swagger-ui-bundle.js": { file: "swagger-ui-bundle.js", type: "text/javascript; charset=utf-8" },
};

export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Encore serving API</title><link rel="stylesheet" href="/api/v1/docs/swagger-ui.css"><link rel="stylesheet" href="/api/v1/docs/encore.css"></head>
<body><div id="reference"></div><script src="/api/v1/docs/swagger-ui-bundle.js"></script><script src="/api/v1/docs/init.js"></script></body>
</html>`;

// Swagger UI's own colours fail WCAG AA contrast (white on #61affe is 2.3:1): the same hues, dark enough for 4.5:1.
const STYLE = `
.swagger-ui .info .title small pre { background: #4f5661; }
.swagger-ui .info .title small.version-stamp, .swagger-ui .info .title small.version-stamp pre { background: #3b6e00; }
.swagger-ui .info a, .swagger-ui .info .url, .swagger-ui a.nostyle, .swagger-ui .info__tos a, .swagger-ui .info__contact a, .swagger-ui .info__license a { color: #1f5fa8; }
.swagger-ui .btn.authorize { color: #0b6b42; border-color: #0b6b42; }
.swagger-ui .btn.authorize svg { fill: #0b6b42; }
.swagger-ui .opblock.opblock-get .opblock-summary-method { background: #1d5fa8; }
.swagger-ui .opblock.opblock-post .opblock-summary-method { background: #0b6b42; }
.swagger-ui .opblock.opblock-put .opblock-summary-method { background: #8a4b00; }
.swagger-ui .opblock.opblock-delete .opblock-summary-method { background: #b42318; }
.swagger-ui .opblock.opblock-patch .opblock-summary-method { background: #0b6359; }
.swagger-ui .json-schema-2020-12-expand-deep-button { color: #4f4f4f; }
.swagger-ui .btn.cancel { color: #b42318; border-color: #b42318; }
.swagger-ui .btn.execute { background: #1d5fa8; border-color: #1d5fa8; }
.swagger-ui .parameter__in, .swagger-ui .parameter__extension, .swagger-ui .prop-format { color: #5c5c5c; }
.swagger-ui .highlight-code pre:focus-visible { outline: 2px solid #1f5fa8; }
/* On a phone: no empty "Links" column, and long words wrap, so nothing is wider than the screen. */
@media (max-width: 600px) {
  .swagger-ui .response-col_links { display: none; }
  .swagger-ui .opblock-body td { overflow-wrap: anywhere; }
}
`;

// An external file: the page's CSP allows no inline script. Deep links are off: they put a link inside each
// operation's button (nested interactive controls). Plain examples: the highlighter's red on grey is 3.5:1.
// Swagger UI renders as operations open: its unnamed controls get names (a button's must contain its text) and
// each scrolling example a tab stop.
const INIT = `window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json", dom_id: "#reference", deepLinking: false, persistAuthorization: false, syntaxHighlight: { activated: false },
});
const reference = document.getElementById("reference");
const label = () => {
  document.getElementById("servers")?.setAttribute("aria-label", "Server");
  for (const body of reference.querySelectorAll("textarea:not([aria-label])")) body.setAttribute("aria-label", "Request body");
  for (const close of reference.querySelectorAll(".close-modal:not([aria-label])")) close.setAttribute("aria-label", "Close");
  for (const button of reference.querySelectorAll(".modal-ux button[aria-label]")) {
    const text = button.textContent.trim();
    if (text && !button.getAttribute("aria-label").includes(text)) button.removeAttribute("aria-label");
  }
  for (const example of reference.querySelectorAll(".highlight-code pre:not([tabindex])")) {
    example.setAttribute("tabindex", "0");
    example.setAttribute("aria-label", "Example");
  }
};
new MutationObserver(label).observe(reference, { childList: true, subtree: true });`;

const cache = new Map<string, Buffer>();

/** The docs page or one of its assets; null for any other name. */
export async function docsAsset(name: string): Promise<{ body: string | Buffer; type: string } | null> {
  if (name === "") return { body: PAGE, type: "text/html; charset=utf-8" };
  if (name === "init.js") return { body: INIT, type: "text/javascript; charset=utf-8" };
  if (name === "encore.css") return { body: STYLE, type: "text/css; charset=utf-8" };
  const asset = ASSETS[name];
  if (!asset) return null;
  let body = cache.get(name);
  if (!body) {
    body = await readFile(path.join(process.cwd(), "node_modules", "swagger-ui-dist", asset.file));
    cache.set(name, body);
  }
  return { body, type: asset.type };
}
