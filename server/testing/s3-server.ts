import S3rver from "@20minutes/s3rver";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface TestS3Server {
  /** `s3://<bucket>/<prefix>` on this server */
  url(prefix: string): string;
  stop(): Promise<void>;
}

const BUCKET = "encore";
/** The keys s3rver signs with. */
const CREDENTIALS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

/**
 * A real S3-compatible server on 127.0.0.1 (s3rver, its objects in a temporary folder), and the
 * AWS SDK's variables pointing at it in this process, as an operator would set them.
 */
export async function startS3Server(): Promise<TestS3Server> {
  const directory = await mkdtemp(path.join(os.tmpdir(), "encore-s3-"));
  // s3rver signs a bucket's path as `/encore` where the SDK (and S3) sign `/encore/` for a listing:
  // the access key must still be its own, but signatures are not compared.
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET }], allowMismatchedSignatures: true });
  const { port } = await server.run();
  const saved = { ...process.env };
  // The SDK's notice that its 2027 versions need Node 22 would repeat on every worker thread of every test.
  Object.assign(process.env, CREDENTIALS, {
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  });
  return {
    url: (prefix) => `s3://${BUCKET}/${prefix}`,
    async stop() {
      for (const name of [...Object.keys(CREDENTIALS), "AWS_REGION", "AWS_ENDPOINT_URL_S3", "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"]) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
