// Validates the environment when the server starts, so a bad value stops it with every problem listed.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { env } = await import("./server/config/env");
    env();
  }
}
