import type { Db } from "../db/client";
import type { Prisma } from "../db/generated/client";

export interface Paging {
  page: number;
  pageSize: number;
}

const skip = ({ page, pageSize }: Paging) => ({ skip: (page - 1) * pageSize, take: pageSize });
const asId = (search: string) => (/^\d{1,9}$/.test(search) ? Number(search) : undefined);
/** `contains` is a LIKE pattern: the search's own `%`, `_` and `\` must match themselves. */
const literal = (search: string) => search.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function browseTracks(db: Db, search: string, paging: Paging) {
  const id = asId(search);
  const where: Prisma.TrackWhereInput = search
    ? {
        OR: [
          ...(id ? [{ id }] : []),
          { name: { contains: literal(search), mode: "insensitive" } },
          { artist: { contains: literal(search), mode: "insensitive" } },
          { genres: { contains: literal(search), mode: "insensitive" } },
        ],
      }
    : {};
  const [total, rows] = await Promise.all([db.track.count({ where }), db.track.findMany({ where, orderBy: { id: "asc" }, ...skip(paging) })]);
  return { total, rows };
}

export async function browseUsers(db: Db, search: string, paging: Paging) {
  const id = asId(search);
  const where: Prisma.UserWhereInput = search
    ? {
        OR: [
          ...(id ? [{ id }] : []),
          { firstName: { contains: literal(search), mode: "insensitive" } },
          { lastName: { contains: literal(search), mode: "insensitive" } },
          { email: { contains: literal(search), mode: "insensitive" } },
          { favoriteGenres: { contains: literal(search), mode: "insensitive" } },
        ],
      }
    : {};
  const [total, rows] = await Promise.all([db.user.count({ where }), db.user.findMany({ where, orderBy: { id: "asc" }, ...skip(paging) })]);
  return { total, rows };
}

/** Histories, by user id or by a track id they contain (the GIN index), each with its tracks by name. */
export async function browseHistories(db: Db, filter: { userId?: number; trackId?: number }, paging: Paging) {
  const where: Prisma.ListenHistoryWhereInput = { userId: filter.userId, ...(filter.trackId ? { items: { has: filter.trackId } } : {}) };
  const [total, rows] = await Promise.all([
    db.listenHistory.count({ where }),
    db.listenHistory.findMany({ where, orderBy: [{ createdAt: "desc" }], ...skip(paging), include: { user: { select: { firstName: true, lastName: true } } } }),
  ]);
  const trackIds = [...new Set(rows.flatMap((r) => r.items))];
  const tracks = await db.track.findMany({ where: { id: { in: trackIds } }, select: { id: true, name: true, artist: true } });
  const byId = new Map(tracks.map((t) => [t.id, t]));
  return {
    total,
    rows: rows.map((r) => ({ ...r, tracks: r.items.map((id) => ({ id, name: byId.get(id)?.name ?? null, artist: byId.get(id)?.artist ?? null })) })),
  };
}

/** Rows the source no longer serves, newest first; they stay in their tables. */
export async function browseVanished(db: Db, filter: { dataset?: string }, paging: Paging) {
  const where: Prisma.VanishedRecordWhereInput = { dataset: filter.dataset };
  const [total, rows] = await Promise.all([
    db.vanishedRecord.count({ where }),
    db.vanishedRecord.findMany({ where, orderBy: [{ firstMissedAt: "desc" }, { dataset: "asc" }, { recordKey: "asc" }], ...skip(paging) }),
  ]);
  return { total, rows };
}

export async function browseQuarantine(db: Db, filter: { runId?: number; dataset?: string; reasonCode?: string; unresolvedOnly?: boolean }, paging: Paging) {
  const where: Prisma.QuarantinedRecordWhereInput = {
    runId: filter.runId,
    dataset: filter.dataset,
    reasonCode: filter.reasonCode,
    ...(filter.unresolvedOnly ? { resolvedAt: null } : {}),
  };
  const [total, rows] = await Promise.all([
    db.quarantinedRecord.count({ where }),
    db.quarantinedRecord.findMany({ where, orderBy: { id: "desc" }, ...skip(paging) }),
  ]);
  return { total, rows };
}
