import { createDatabase } from "../db/client";
import { listenRest } from "../serving/node-http";

// The REST API in a process of its own, on DATABASE_URL (and REDIS_URL when set), for tests of what
// several web processes share: prints its URL on the first line, then serves until it is killed.
const url = process.env.DATABASE_URL;
if (!url) throw new Error("rest-process needs DATABASE_URL");
const server = await listenRest(createDatabase(url, 4));
console.log(server.url);
