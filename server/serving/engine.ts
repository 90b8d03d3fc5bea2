import { DomainError } from "../domain/errors";
import type { Database } from "../db/client";
import { endIncident, raiseIncident, type AlertPolicy } from "../pipeline/alerts";
import { modelFromParts, readArtefact, type ArtefactParts } from "../recommender/artefacts";
import type { Scoring } from "../recommender/candidates";
import { inCatalogue } from "../recommender/catalogue";
import type { Model } from "../recommender/families/types";
import { PrunedArtefactError, UnknownVersionError } from "../recommender/registry";
import { designOf, type AssignmentDesign } from "../experiments/assignment";
import { ExposureRecorder } from "../experiments/exposures";
import { loadCatalogue, type ServingCatalogue } from "./catalogue";
import type { Picked, ScratchRequest } from "./recommend";
import { startRanker, type Ranker } from "./ranker";
import { servingMetrics } from "./request-metrics";
import type { ObjectStore } from "../storage/store";

export interface ServedModel {
  version: { id: number; family: string };
  /** seen through the serving catalogue: indices are the catalogue's */
  model: Model;
}

/**
 * Everything one answer is computed from. Requests take the current state once, so an answer never
 * mixes two versions or two catalogues; a refresh builds a new state and swaps it in whole.
 */
/** A running experiment as serving needs it: how to assign, and each variant's loaded model. */
export interface RunningExperiment {
  id: number;
  key: string;
  design: AssignmentDesign;
  variants: { key: string; served: ServedModel }[];
}

export interface ServingState {
  catalogue: ServingCatalogue;
  champion: ServedModel | null;
  /** oldest first: a user in several is served (and exposed) by the first that includes them */
  experiments: RunningExperiment[];
  /** why the champion could not be read; popularity answers meanwhile */
  failure: string | null;
  /** running experiments left out because a variant's model cannot be read, with why: their users get the champion */
  unservable: Map<string, string>;
  /** how answers computed at request time rank (SCORING) */
  scoring: Scoring;
  /** scratch for scoring one request at a time on the event loop (scoring is synchronous) */
  scores: Float32Array;
  scratch: Float32Array;
  /** similar tracks by track index, computed once per state */
  similar: Map<number, { indices: Int32Array; scores: Float32Array }>;
}

interface Stamp {
  champion: number | null;
  /** the last ingestion run that ended: the catalogue can only change through one */
  ingestion: number | null;
  /** the last change to any experiment */
  experiments: string | null;
}

/** A version's artefact is missing or damaged. */
export class UnreadableArtefactError extends DomainError {
  constructor(versionId: number, cause: unknown) {
    super("PRECONDITION_FAILED", `version ${versionId}'s artefact cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "UnreadableArtefactError";
  }
}

export const FALLBACK_INCIDENT = "serving_fallback:serve";
export const UNSERVABLE_KIND = "experiment_unservable";
const MODELS_KEPT = 4;

export interface EngineOptions {
  refreshMs: number;
  /** where model artefacts are read from */
  store: ObjectStore;
  policy: AlertPolicy;
  /** how answers computed at request time rank; candidates when not said */
  scoring?: Scoring;
  /** threads ranking answers from scratch (RANKING_THREADS); 1 when not said */
  rankingThreads?: number;
}

export class ServingEngine {
  private state: ServingState | null = null;
  private stamp: Stamp | null = null;
  private refreshing: Promise<ServingState> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** loaded artefacts by version id, most recently used last */
  private readonly models = new Map<number, Promise<LoadedVersion>>();
  readonly exposures: ExposureRecorder;
  private readonly ranker: Promise<Ranker>;

  constructor(
    private readonly database: Database,
    private readonly options: EngineOptions,
  ) {
    this.exposures = new ExposureRecorder(database.pool);
    this.ranker = startRanker(options.scoring ?? "candidates", options.rankingThreads ?? 1);
  }

  /** The top `k` from scratch for a listener of `state` (its batch row would not do), off the event loop where a thread can run. */
  async rank(state: ServingState, served: ServedModel | null, request: ScratchRequest): Promise<Picked[]> {
    return (await this.ranker).rank(state, served, request);
  }

  /** The state to answer from; the first call loads it, later ones never wait for a refresh. */
  async current(): Promise<ServingState> {
    if (this.state) return this.state;
    this.timer ??= setInterval(
      () => void this.refresh().catch((error: unknown) => console.error("[encore] serving refresh failed:", error)),
      this.options.refreshMs,
    ).unref();
    return this.refresh();
  }

  /** The state answers come from now, without loading one: null until this process has served (or `warm` finished). */
  peek(): ServingState | null {
    return this.state;
  }

  /** Starts loading the state, if nothing has yet, so the first listener does not wait for the models (minutes' worth at 500,000 tracks). */
  warm(): void {
    if (this.state || this.refreshing) return;
    this.current().catch((error: unknown) => console.error("[encore] loading the serving state failed:", error instanceof Error ? error.message : error));
  }

  /** Reloads what changed since the last look: the champion alias, or the catalogue after an ingestion. */
  refresh(): Promise<ServingState> {
    this.refreshing ??= this.rebuild().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** Any registry version seen through the current catalogue (the console compares versions with it). */
  async version(versionId: number): Promise<ServedModel> {
    const state = await this.current();
    const { family, model, parts } = await this.loadModel(versionId);
    await (await this.ranker).prepare(versionId, model, parts);
    return { version: { id: versionId, family }, model: inCatalogue(model, state.catalogue.trackIds) };
  }

  /** Stops refreshing, writes the exposures still pending and ends the ranking thread. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.exposures.flush();
    await (await this.ranker).close();
  }

  private async rebuild(): Promise<ServingState> {
    const stamp = await this.readStamp();
    const previous = this.state;
    const unchanged =
      this.stamp && stamp.champion === this.stamp.champion && stamp.ingestion === this.stamp.ingestion && stamp.experiments === this.stamp.experiments;
    // A champion or variant that could not be read is tried again at each refresh (its file may be restored).
    if (previous && unchanged && !previous.failure && previous.unservable.size === 0) return previous;
    const catalogue = previous && this.stamp?.ingestion === stamp.ingestion ? previous.catalogue : await loadCatalogue(this.database.pool);
    let champion: ServedModel | null = null;
    let failure: string | null = null;
    if (stamp.champion !== null) {
      try {
        const { family, model } = await this.loadModel(stamp.champion);
        champion = { version: { id: stamp.champion, family }, model: inCatalogue(model, catalogue.trackIds) };
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
    }
    const { loaded, unservable } = await this.loadExperiments(catalogue, champion);
    const state: ServingState = {
      catalogue,
      champion,
      experiments: loaded,
      failure,
      unservable,
      scoring: this.options.scoring ?? "candidates",
      scores: new Float32Array(catalogue.trackIds.length),
      scratch: new Float32Array(catalogue.trackIds.length),
      similar: new Map(),
    };
    const versions = new Map<number, ArtefactParts>();
    for (const { version } of [champion, ...loaded.flatMap((e) => e.variants.map((v) => v.served))].filter((s) => s !== null))
      versions.set(version.id, (await this.loadModel(version.id)).parts);
    // Swapped in once its models are ready to rank (ALS's graph built), so no listener waits for them.
    await (await this.ranker).load(state, versions);
    this.state = state;
    this.stamp = stamp;
    servingMetrics().servedVersion.set(champion?.version.id ?? 0);
    if (failure !== previous?.failure) await this.reportHealth(stamp.champion, failure);
    if (!previous || !sameEntries(unservable, previous.unservable)) await this.reportExperiments(unservable);
    return state;
  }

  private async readStamp(): Promise<Stamp> {
    const { rows } = await this.database.pool.query<Stamp>(
      `SELECT (SELECT version_id FROM model_aliases WHERE alias = 'champion') AS champion,
              (SELECT max(id) FROM pipeline_runs WHERE pipeline = 'ingest' AND finished_at IS NOT NULL) AS ingestion,
              (SELECT max(updated_at)::text FROM experiments) AS experiments`,
    );
    return rows[0]!;
  }

  /** Running experiments whose every variant's model can be read; one that cannot is left out (its users get the champion), with why. */
  private async loadExperiments(
    catalogue: ServingCatalogue,
    champion: ServedModel | null,
  ): Promise<{ loaded: RunningExperiment[]; unservable: Map<string, string> }> {
    const running = await this.database.db.experiment.findMany({
      where: { status: "running" },
      include: { variants: { orderBy: { position: "asc" } } },
      orderBy: [{ startedAt: "asc" }, { id: "asc" }],
    });
    const loaded: RunningExperiment[] = [];
    const unservable = new Map<string, string>();
    for (const e of running) {
      try {
        const variants = [];
        for (const v of e.variants) {
          if (champion && v.versionId === champion.version.id) variants.push({ key: v.key, served: champion });
          else {
            const { family, model } = await this.loadModel(v.versionId);
            variants.push({ key: v.key, served: { version: { id: v.versionId, family }, model: inCatalogue(model, catalogue.trackIds) } });
          }
        }
        loaded.push({ id: e.id, key: e.key, design: designOf(e), variants });
      } catch (error) {
        unservable.set(e.key, error instanceof Error ? error.message : String(error));
      }
    }
    return { loaded, unservable };
  }

  private loadModel(versionId: number): Promise<LoadedVersion> {
    let loading = this.models.get(versionId);
    if (loading) this.models.delete(versionId);
    else {
      loading = (async () => {
        const version = await this.database.db.modelVersion.findUnique({
          where: { id: versionId },
          select: { family: true, artefactPath: true, artefactDigest: true },
        });
        if (!version) throw new UnknownVersionError(versionId);
        if (!version.artefactPath) throw new PrunedArtefactError(versionId);
        try {
          // Shared, so the ranking thread reads the same arrays.
          const parts = await readArtefact(this.options.store, { path: version.artefactPath, digest: version.artefactDigest }, { shared: true });
          return { family: version.family, model: modelFromParts(parts), parts };
        } catch (error) {
          throw new UnreadableArtefactError(versionId, error);
        }
      })();
      // A failed load is not kept: the next refresh tries again (the file may be back).
      loading.catch(() => this.models.delete(versionId));
    }
    this.models.set(versionId, loading);
    while (this.models.size > MODELS_KEPT) {
      const oldest = this.models.keys().next().value!;
      this.models.delete(oldest);
      void this.ranker.then((ranker) => ranker.forget(oldest));
    }
    return loading;
  }

  /**
   * One incident per running experiment that cannot be served; those of experiments served again,
   * stopped or decided end (also ones a process before this one opened).
   */
  private async reportExperiments(unservable: Map<string, string>): Promise<void> {
    const { policy } = this.options;
    const open = await this.database.db.alert.findMany({ where: { kind: UNSERVABLE_KIND, state: { not: "resolved" } }, select: { incidentKey: true } });
    for (const { incidentKey } of open)
      if (!unservable.has(incidentKey.slice(unservableIncident("").length))) await endIncident(this.database, incidentKey, policy);
    for (const [key, reason] of unservable) {
      console.error(`[encore] experiment ${key} is not served (its listeners get the champion): ${reason}`);
      await raiseIncident(
        this.database,
        {
          incidentKey: unservableIncident(key),
          kind: UNSERVABLE_KIND,
          severity: "error",
          title: `experiment ${key} cannot be served; its listeners get the champion`,
          detail: `${reason.slice(0, 300)}. Decide it (ship another variant, or none) or restore the artefact.`,
          fields: { experiment: key },
        },
        policy,
      );
    }
  }

  private async reportHealth(champion: number | null, failure: string | null): Promise<void> {
    if (!failure) {
      await endIncident(this.database, FALLBACK_INCIDENT, this.options.policy);
      return;
    }
    console.error(`[encore] serving from popularity: the champion (version ${champion}) cannot be read: ${failure}`);
    await raiseIncident(
      this.database,
      {
        incidentKey: FALLBACK_INCIDENT,
        kind: "serving_fallback",
        severity: "error",
        title: `the champion (version ${champion}) cannot be read; recommendations come from popularity`,
        detail: failure.slice(0, 300),
        fields: { version: champion ?? "-" },
      },
      this.options.policy,
    );
  }
}

interface LoadedVersion {
  family: string;
  model: Model;
  parts: ArtefactParts;
}

export const unservableIncident = (experimentKey: string) => `${UNSERVABLE_KIND}:serve:${experimentKey}`;

const sameEntries = (a: Map<string, string>, b: Map<string, string>) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

// The HTTP server's REST path and Next.js's tRPC routes run in one process with two copies of this
// module but one Database (server/db/client.ts keeps it on globalThis): one engine per database.
const holder = globalThis as unknown as { encoreServingEngines?: WeakMap<Database, ServingEngine> };

export function servingEngine(database: Database, options: () => EngineOptions): ServingEngine {
  const engines = (holder.encoreServingEngines ??= new WeakMap());
  let engine = engines.get(database);
  if (!engine) engines.set(database, (engine = new ServingEngine(database, options())));
  return engine;
}
