/**
 * Jobs `npm run job` runs in a thread whose JavaScript heap is capped (MB), so that their memory
 * stays flat in the source's size. Here rather than in the registry, which the launcher must not
 * load: its modules would be compiled twice, once per thread.
 */
export const JOB_HEAP_MB: Readonly<Record<string, number>> = {
  // Its live data is a batch in flight and the id sets (typed arrays, outside the cap).
  ingest: 128,
};
