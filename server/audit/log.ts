import type { Db } from "../db/client";
import type { Prisma } from "../db/generated/client";

export interface AuditEntry {
  action: string;
  actorId?: number | null;
  actorEmail?: string | null;
  target?: string | null;
  detail?: Prisma.InputJsonValue;
  ip?: string | null;
}

export function recordAudit(db: Db | Prisma.TransactionClient, entry: AuditEntry) {
  return db.auditLog.create({ data: entry });
}

/** Newest first, keyset-paged by id. */
export async function listAudit(db: Db, { cursor, limit }: { cursor?: bigint; limit: number }) {
  const entries = await db.auditLog.findMany({
    where: cursor === undefined ? undefined : { id: { lt: cursor } },
    orderBy: { id: "desc" },
    take: limit + 1,
  });
  return { entries: entries.slice(0, limit), nextCursor: entries.length > limit ? entries[limit - 1]!.id : undefined };
}
