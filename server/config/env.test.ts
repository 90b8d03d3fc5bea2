import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "./env";

describe("parseEnv", () => {
  it("gives defaults for the embedded setup", () => {
    const env = parseEnv({});
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.PORT).toBe(3000);
    expect(env.DATA_DIR).toBe(".data");
  });

  it("lists every problem in one message", () => {
    const attempt = () =>
      parseEnv({
        NODE_ENV: "production",
        DATABASE_URL: "mysql://nope",
        PORT: "http",
        ADMIN_EMAIL: "not-an-email",
        ADMIN_PASSWORD: "short",
        MOOVITAMIX_URL: "ftp://x",
        REDIS_URL: "http://cache:6379",
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const { problems, message } = error as ConfigError;
      expect(problems.map((p) => p.split(":")[0]).sort()).toEqual(["ADMIN_EMAIL", "ADMIN_PASSWORD", "DATABASE_URL", "MOOVITAMIX_URL", "PORT", "REDIS_URL"]);
      expect(message.split("\n")).toHaveLength(7);
    }
  });

  it("requires NEXTAUTH_SECRET in production with an external database", () => {
    expect(() => parseEnv({ NODE_ENV: "production", DATABASE_URL: "postgresql://u:p@db:5432/encore" })).toThrow(/NEXTAUTH_SECRET: is required in production/);
    expect(parseEnv({ NODE_ENV: "production" }).NEXTAUTH_SECRET).toBeUndefined();
  });

  it("wants the admin e-mail and password together", () => {
    expect(() => parseEnv({ ADMIN_EMAIL: "a@b.test" })).toThrow(/set ADMIN_EMAIL and ADMIN_PASSWORD together/);
  });

  it("takes an s3:// STORAGE_URL, and nothing else there", () => {
    expect(parseEnv({ STORAGE_URL: "s3://encore-data/production" }).STORAGE_URL).toBe("s3://encore-data/production");
    expect(parseEnv({ STORAGE_URL: "" }).STORAGE_URL).toBeUndefined();
    expect(() => parseEnv({ STORAGE_URL: "/var/lib/encore/lake" })).toThrow(/STORAGE_URL: must be s3:\/\/bucket/);
  });
});
