import "server-only";
import { headers } from "next/headers";
import { cache } from "react";
import { createContext } from "./context";
import { createCaller } from "./root";

/** tRPC for Server Components: the same procedures and checks, without an HTTP round trip. */
export const serverCaller = cache(async () => createCaller(await createContext(await headers())));
