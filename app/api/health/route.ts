// Liveness: the process serves requests. Needs no database and no session.
export function GET() {
  return Response.json({ status: "ok", time: new Date().toISOString() }, { headers: { "Cache-Control": "no-store" } });
}
