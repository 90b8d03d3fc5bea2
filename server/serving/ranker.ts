import { Worker } from "node:worker_threads";
import { threadExecArgv, typescriptWorkerSource } from "../lib/typescript-worker";
import type { ArtefactParts } from "../recommender/artefacts";
import type { Scoring } from "../recommender/candidates";
import type { Model } from "../recommender/families/types";
import { packCatalogue, type PackedCatalogue, type ServingCatalogue } from "./catalogue";
import { fromScratch, servedModels, warmUp, type Picked, type ScratchRequest } from "./recommend";
import type { ServedModel, ServingState } from "./engine";

/**
 * Where answers from scratch are ranked. Batch rows are answered on the event loop in well under a
 * millisecond; ranking from scratch takes milliseconds (catalogue-sized scans, ALS's graph), so a
 * thread does it and the event loop goes on answering meanwhile.
 */
export interface Ranker {
  /** Makes the state rankable (its models prepared: ALS's graph built) and warm; resolves once it is. */
  load(state: ServingState, versions: ReadonlyMap<number, ArtefactParts>): Promise<void>;
  /** Prepares one more version (the console compares versions the state does not serve). */
  prepare(versionId: number, model: Model, parts: ArtefactParts): Promise<void>;
  /** The version's artefact is no longer held. */
  forget(versionId: number): void;
  rank(state: ServingState, served: ServedModel | null, request: ScratchRequest): Promise<Picked[]>;
  close(): Promise<void>;
}

/** Ranks on the event loop: where no thread can be started. */
export class InProcessRanker implements Ranker {
  constructor(private readonly scoring: Scoring) {}

  async load(state: ServingState): Promise<void> {
    for (const model of servedModels(state)) if (model) await this.prepareModel(model);
    warmUp(state, servedModels(state));
  }

  prepare(_versionId: number, model: Model): Promise<void> {
    return this.prepareModel(model);
  }

  forget(): void {}

  async rank(state: ServingState, served: ServedModel | null, request: ScratchRequest): Promise<Picked[]> {
    return fromScratch(state, served?.model ?? null, request);
  }

  async close(): Promise<void> {}

  private async prepareModel(model: Model): Promise<void> {
    // Retrieval's index is built with the model, not while a listener waits for an answer.
    if (this.scoring === "candidates") await model.prepare?.();
  }
}

/** Messages to the ranking thread (ranker-thread.ts); each is answered by its `call`. */
export type RankerMessage =
  | { type: "catalogue"; catalogue: number; packed: PackedCatalogue; scoring: Scoring }
  | { type: "version"; versionId: number; parts: ArtefactParts; prepare: boolean }
  | { type: "warm"; catalogue: number; versions: (number | null)[] }
  | { type: "rank"; catalogue: number; versionId: number | null; request: ScratchRequest }
  | { type: "forget-catalogue"; catalogue: number }
  | { type: "forget-version"; versionId: number };

export type RankerReply = { call: number; picked?: Picked[]; error?: string };

/** Catalogues the threads keep: the one served and the one before it (requests under way may still use it). */
const CATALOGUES_KEPT = 2;

/** One worker thread running `ranker-thread.ts`, answering each message by its `call`; started again when it dies. */
class RankingThread {
  private worker!: Worker;
  private readonly calls = new Map<number, { resolve(reply: RankerReply): void; reject(error: Error): void }>();
  private nextCall = 0;
  private closed = false;
  started: Promise<void>;

  /** `replay` gives a thread started again what the one before held. */
  constructor(private readonly replay: (thread: RankingThread) => Promise<void>) {
    this.started = this.start();
  }

  /** Calls waiting for an answer: where the next request is ranked soonest. */
  get pending(): number {
    return this.calls.size;
  }

  private start(): Promise<void> {
    const entry = new URL("./ranker-thread.ts", import.meta.url).href;
    try {
      this.worker = new Worker(typescriptWorkerSource(entry), { eval: true, execArgv: threadExecArgv() });
    } catch (error) {
      return Promise.reject(error);
    }
    const worker = this.worker;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on("message", (message: RankerReply | { ready: true }) => {
        if ("ready" in message) {
          ready = true;
          // The process ends when its work does: the thread holds it only while a call waits for an answer.
          if (this.calls.size === 0) worker.unref();
          return resolve();
        }
        const call = this.calls.get(message.call);
        this.calls.delete(message.call);
        if (this.calls.size === 0) worker.unref();
        if (message.error !== undefined) call?.reject(new Error(`ranking thread: ${message.error}`));
        else call?.resolve(message);
      });
      worker.on("error", (error) => {
        if (!ready) reject(error);
        else console.error("[encore] a ranking thread failed:", error);
      });
      worker.on("exit", (code) => {
        if (!ready) return reject(new Error(`the ranking thread exited (code ${code}) before it started`));
        for (const call of this.calls.values()) call.reject(new Error(`the ranking thread exited (code ${code})`));
        this.calls.clear();
        if (this.closed) return;
        console.error("[encore] a ranking thread stopped; starting another");
        this.started = this.start().then(() => this.replay(this));
        this.started.catch((error: unknown) => console.error("[encore] a ranking thread could not be started again:", error));
      });
    });
  }

  call(message: RankerMessage): Promise<RankerReply> {
    const call = this.nextCall++;
    const reply = new Promise<RankerReply>((resolve, reject) => this.calls.set(call, { resolve, reject }));
    this.worker.ref();
    this.worker.postMessage({ ...message, call });
    return reply;
  }

  terminate(): Promise<number> {
    this.closed = true;
    // Undefined when the thread could not even be created.
    return this.worker?.terminate() ?? Promise.resolve(0);
  }
}

/**
 * Ranks on worker threads (`ranker-thread.ts`, RANKING_THREADS of them) holding the served versions'
 * models: their arrays are SharedArrayBuffers (read with `shared`), so each thread reads the same
 * memory and the models are not held again; ALS's graph is built in each thread. A request goes to
 * the thread with the fewest waiting. A thread that dies is started again and given back what it
 * held; the requests it was ranking fail.
 */
export class ThreadRanker implements Ranker {
  private readonly threads: RankingThread[];
  private nextCatalogue = 0;
  private readonly catalogueIds = new WeakMap<ServingCatalogue, number>();
  /** what the threads hold, to give a thread started again */
  private readonly catalogues = new Map<number, Extract<RankerMessage, { type: "catalogue" }>>();
  private readonly versions = new Map<number, ArtefactParts>();
  /** versions the last loaded state serves: kept whatever the engine's cache evicts */
  private served = new Set<number | null>();

  private constructor(
    private readonly scoring: Scoring,
    threads: number,
  ) {
    this.threads = Array.from({ length: threads }, () => new RankingThread((thread) => this.replay(thread)));
  }

  /** A ranker on `threads` threads of its own, or why this process cannot start them. */
  static async create(scoring: Scoring, threads: number): Promise<ThreadRanker | { unavailable: string }> {
    const ranker = new ThreadRanker(scoring, threads);
    try {
      await Promise.all(ranker.threads.map((t) => t.started));
      return ranker;
    } catch (error) {
      await ranker.close();
      return { unavailable: error instanceof Error ? error.message : String(error) };
    }
  }

  private async replay(thread: RankingThread): Promise<void> {
    for (const message of this.catalogues.values()) await thread.call(message);
    for (const [versionId, parts] of this.versions) await thread.call(this.versionMessage(versionId, parts));
  }

  /** The same message to every thread, once each has started (or started again and been given back what it held). */
  private async everywhere(message: RankerMessage): Promise<void> {
    await Promise.all(
      this.threads.map(async (thread) => {
        await thread.started;
        await thread.call(message);
      }),
    );
  }

  private catalogueOf(state: ServingState): number {
    const id = this.catalogueIds.get(state.catalogue);
    if (id === undefined) throw new Error("this state was never loaded into the ranking threads");
    return id;
  }

  async load(state: ServingState, versions: ReadonlyMap<number, ArtefactParts>): Promise<void> {
    let catalogue = this.catalogueIds.get(state.catalogue);
    if (catalogue === undefined) {
      catalogue = this.nextCatalogue++;
      const message = { type: "catalogue", catalogue, packed: packCatalogue(state.catalogue), scoring: this.scoring } as const;
      await this.everywhere(message);
      this.catalogueIds.set(state.catalogue, catalogue);
      this.catalogues.set(catalogue, message);
      for (const old of [...this.catalogues.keys()].slice(0, -CATALOGUES_KEPT)) {
        this.catalogues.delete(old);
        void this.everywhere({ type: "forget-catalogue", catalogue: old }).catch(() => {});
      }
    }
    for (const [versionId, parts] of versions) await this.send(versionId, parts);
    const served = new Set([state.champion, ...state.experiments.flatMap((e) => e.variants.map((v) => v.served))].map((s) => s?.version.id ?? null));
    await this.everywhere({ type: "warm", catalogue, versions: [...served] });
    this.served = served;
  }

  async prepare(versionId: number, _model: Model, parts: ArtefactParts): Promise<void> {
    await this.send(versionId, parts);
  }

  private async send(versionId: number, parts: ArtefactParts): Promise<void> {
    if (this.versions.get(versionId) === parts) return;
    await this.everywhere(this.versionMessage(versionId, parts));
    this.versions.set(versionId, parts);
  }

  private versionMessage(versionId: number, parts: ArtefactParts): RankerMessage {
    // Retrieval's index is built with the model, not while a listener waits for an answer.
    return { type: "version", versionId, parts, prepare: this.scoring === "candidates" };
  }

  forget(versionId: number): void {
    if (this.served.has(versionId) || !this.versions.delete(versionId)) return;
    void this.everywhere({ type: "forget-version", versionId }).catch(() => {});
  }

  async rank(state: ServingState, served: ServedModel | null, request: ScratchRequest): Promise<Picked[]> {
    const thread = this.threads.reduce((best, t) => (t.pending < best.pending ? t : best));
    await thread.started;
    const reply = await thread.call({ type: "rank", catalogue: this.catalogueOf(state), versionId: served?.version.id ?? null, request });
    return reply.picked!;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.terminate().catch(() => 0)));
  }
}

/** The thread ranker, or the event loop's where no thread can start (said once, in the log). */
export async function startRanker(scoring: Scoring, threads: number): Promise<Ranker> {
  const ranker = await ThreadRanker.create(scoring, threads);
  if (!("unavailable" in ranker)) return ranker;
  console.error(`[encore] answers from scratch are ranked on the event loop: the ranking thread could not start (${ranker.unavailable})`);
  return new InProcessRanker(scoring);
}
