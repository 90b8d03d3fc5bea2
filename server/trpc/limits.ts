/** Calls per tRPC batch; the console's client batches at most this many (components/trpc/Provider.tsx). */
export const MAX_BATCH_SIZE = 10;
/** Largest tRPC request body. */
export const MAX_BODY_BYTES = 256 * 1024;
