/** What a caller can do about it; tRPC maps it to a status in one place (server/trpc/init.ts). */
export type DomainErrorCode = "BAD_REQUEST" | "NOT_FOUND" | "CONFLICT" | "PRECONDITION_FAILED";

/** An error a person can act on, in the domain's words: the message says what to change. */
export class DomainError extends Error {
  /** Survives another copy of this module (the REST server's and Next.js's), where `instanceof` fails. */
  readonly domainError = true;
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

/** `error` as a DomainError (from any copy of this module), or null. */
export function asDomainError(error: unknown): DomainError | null {
  return error instanceof Error && (error as Partial<DomainError>).domainError === true ? (error as DomainError) : null;
}
