import { ConfigError } from "../config/env";

/** A mistake in how a command was called: its message, then the command's usage. */
export class UsageError extends Error {}

/**
 * Runs a command's `main`; on failure says what went wrong in one message (with the usage after a
 * UsageError, `explain`'s words for errors the command knows) and exits with 1.
 */
export function runCommand(main: () => Promise<void>, usage: string, explain: (error: unknown) => string | undefined = () => undefined): void {
  main().catch((error: unknown) => {
    if (error instanceof UsageError) console.error(`${error.message}\n\nUsage:\n${usage}`);
    else console.error(explain(error) ?? (error instanceof ConfigError ? error.message : `[encore] ${error instanceof Error ? error.message : String(error)}`));
    process.exit(1);
  });
}
