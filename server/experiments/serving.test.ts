import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRun, waitForRun } from "../pipeline/runner";
import { createApiKey } from "../serving/api-keys";
import type { Recommendations } from "../serving/recommend";
import { unservableIncident } from "../serving/engine";
import { engineFor, unservableExperiments } from "../serving/service";
import { pruneArtefacts } from "../recommender/registry";
import { createCaller } from "../trpc/root";
import type { Simulator } from "../simulator/server";
import type { TestDatabase } from "../testing/database";
import { trainedEncore, type TrainedEncore } from "../testing/trained";
import { ingest, type tempLake, testConfig } from "../testing/ingestion";
import { contractOf, type Contract } from "../testing/openapi-contract";
import type { RestServer } from "../serving/node-http";
import { analyzeExperiment, type ResultsDocument } from "./analysis";
import { assignVariant, designOf as designOfExperiment } from "./assignment";
import { currentReach } from "./reach";
import { createExperiment, decideExperiment, ExperimentError, getExperiment, startExperiment, stopExperiment, type ExperimentDesign } from "./experiments";
import { analyzePipeline } from "./pipeline";
import { openStore } from "../storage/open";

process.env.SERVING_REFRESH_MS = "200";

let database: TestDatabase;
let simulator: Simulator;
let lake: Awaited<ReturnType<typeof tempLake>>;
let server: RestServer;
let encore: TrainedEncore | undefined;
let contract: Contract;
let key: string;
const actor = { email: "scientist@test" };

async function get<T>(path: string, bearer = key): Promise<{ status: number; body: T }> {
  const response = await fetch(`${server.url}/api/v1${path}`, { headers: { authorization: `Bearer ${bearer}` } });
  return { status: response.status, body: (await response.json()) as T };
}

const HOME = { name: "home", start: 0, end: 0.5 };

const design = (overrides: Partial<ExperimentDesign> & Pick<ExperimentDesign, "key" | "variants">): ExperimentDesign => ({
  name: overrides.key,
  hypothesis: "the model beats popularity",
  coverage: 1,
  namespace: null,
  primaryMetric: "hit_rate",
  secondaryMetrics: ["listens_per_day"],
  guardrailMetrics: ["skips_per_impression"],
  correction: "holm",
  sequential: true,
  alpha: 0.05,
  ...overrides,
});

beforeAll(async () => {
  encore = await trainedEncore(11, { tracks: 500, users: 300, histories: 2500, itemsPerHistory: 8 });
  ({ database, simulator, lake, server } = encore);
  key = (await createApiKey(database.db, { name: "app", scopes: ["recommendations:read", "experiments:read"] }, actor)).key;
  contract = await contractOf((await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as unknown);
}, 180_000);

afterAll(() => encore?.close());

const versions = async () => {
  const champion = (await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } })).versionId;
  const popularity = (await database.db.modelVersion.findFirstOrThrow({ where: { family: "popularity" } })).id;
  return { champion, popularity };
};

describe("experiments in serving", () => {
  it("serves each listener their variant's model, names it, and records one exposure per listener however many requests come at once", async () => {
    const { champion, popularity } = await versions();
    // Half of the listeners (namespace "home" [0, 0.5)), so the experiments after it can reach the others.
    await createExperiment(
      database.db,
      design({
        key: "model-vs-popularity",
        variants: [
          { key: "control", versionId: popularity, weight: 1 },
          { key: "model", versionId: champion, weight: 1 },
        ],
        namespace: HOME,
      }),
      actor,
    );
    const started = await startExperiment(database.db, "model-vs-popularity", actor);
    expect(started.reach.share).toBeGreaterThan(0.35);
    expect(started.reach.share).toBeLessThan(0.65);
    await engineFor(database).refresh();
    const users = (await database.db.user.findMany({ select: { id: true }, orderBy: { id: "asc" } })).map((u) => u.id);
    const designOf = {
      seed: started.seed,
      weights: started.variants.map((v) => v.weight),
      coverage: started.coverage,
      namespace: [HOME.name, HOME.start, HOME.end] as const,
    };
    for (const userId of users.slice(0, 60)) {
      const { status, body } = await get<Recommendations>(`/users/${userId}/recommendations?k=5`);
      contract.check("/users/{userId}/recommendations", "GET", status, body);
      const index = assignVariant(designOf, userId);
      expect(body.experiment).toEqual(index < 0 ? null : { key: "model-vs-popularity", variant: started.variants[index]!.key });
      if (index >= 0) expect(body.model?.version).toBe(started.variants[index]!.versionId);
    }
    const inside = users.slice(0, 60).filter((u) => assignVariant(designOf, u) >= 0).length;
    expect(inside).toBeGreaterThan(15);
    // Twenty requests at once for one listener: one exposure, counted twenty times.
    const busy = users.slice(60).find((u) => assignVariant(designOf, u) >= 0)!;
    await Promise.all(Array.from({ length: 20 }, () => get(`/users/${busy}/recommendations?k=5`)));
    await engineFor(database).exposures.flush();
    const exposures = await database.db.experimentExposure.findMany({ where: { userId: busy } });
    expect(exposures).toHaveLength(1);
    expect(exposures[0]!.exposures).toBe(20);
    expect(exposures[0]!.servedTrackIds.length).toBeGreaterThanOrEqual(5);
    expect(await database.db.experimentExposure.count()).toBe(inside + 1);
  });

  it("records exposures only for the app's requests about listeners Encore knows; the console is told the variant without recording it", async () => {
    const count = () => database.db.experimentExposure.count();
    const before = await count();
    // 50 ids no listener has: the champion answers, outside any experiment, nothing recorded.
    for (let userId = 1_900_000_000; userId < 1_900_000_050; userId++) {
      const { status, body } = await get<Recommendations>(`/users/${userId}/recommendations?k=3`);
      expect(status).toBe(200);
      expect(body.experiment).toBeNull();
    }
    await engineFor(database).exposures.flush();
    expect(await count()).toBe(before);

    const exposed = new Set((await database.db.experimentExposure.findMany({ select: { userId: true } })).map((e) => e.userId));
    const experiment = (await getExperiment(database.db, "model-vs-popularity"))!;
    const listener = (await database.db.user.findMany({ select: { id: true }, orderBy: { id: "desc" } })).find(
      (u) => !exposed.has(u.id) && assignVariant(designOfExperiment(experiment), u.id) >= 0,
    )!.id;
    const session = createCaller({
      db: database.db,
      database,
      ip: "127.0.0.1",
      authorization: null,
      operator: { id: 1, email: "viewer@test", name: "viewer", role: "viewer" },
    });
    const seen = await session.recommendations.forUser({ userId: listener, k: 3 });
    expect(seen.experiment?.key).toBe("model-vs-popularity");
    await engineFor(database).exposures.flush();
    expect(await count()).toBe(before);

    // The app over tRPC, with its key: exposed, in the variant the console named.
    const app = createCaller({ db: database.db, database, ip: "127.0.0.1", authorization: `Bearer ${key}`, operator: null });
    expect((await app.recommendations.forUser({ userId: listener, k: 3 })).experiment).toEqual(seen.experiment);
    await engineFor(database).exposures.flush();
    expect(await database.db.experimentExposure.findMany({ where: { userId: listener }, select: { variant: true, exposures: true } })).toEqual([
      { variant: seen.experiment!.variant, exposures: 1 },
    ]);
    await database.db.experimentExposure.deleteMany({ where: { userId: listener } });
  });

  it("keeps an exposed listener's variant when the weights change", async () => {
    const experiment = await database.db.experiment.findUniqueOrThrow({ where: { key: "model-vs-popularity" }, include: { variants: true } });
    const before = await database.db.experimentExposure.findMany({ where: { experimentId: experiment.id } });
    // Everyone new would now get the model.
    await database.db.experimentVariant.update({ where: { experimentId_key: { experimentId: experiment.id, key: "control" } }, data: { weight: 0.0001 } });
    await database.db.experiment.update({ where: { id: experiment.id }, data: { updatedAt: new Date() } });
    await engineFor(database).refresh();
    const controls = before.filter((e) => e.variant === "control").slice(0, 10);
    expect(controls.length).toBeGreaterThan(3);
    for (const exposure of controls)
      expect((await get<Recommendations>(`/users/${exposure.userId}/recommendations?k=3`)).body.experiment?.variant).toBe("control");
    await database.db.experimentVariant.update({ where: { experimentId_key: { experimentId: experiment.id, key: "control" } }, data: { weight: 0.5 } });
  });

  it("refuses to start an experiment in a part of a namespace another running one uses", async () => {
    const { champion, popularity } = await versions();
    const variants = [
      { key: "a", versionId: popularity, weight: 1 },
      { key: "b", versionId: champion, weight: 1 },
    ];
    await createExperiment(database.db, design({ key: "ns-first", variants, namespace: { name: "shelf", start: 0, end: 0.6 } }), actor);
    await createExperiment(database.db, design({ key: "ns-second", variants, namespace: { name: "shelf", start: 0.5, end: 1 } }), actor);
    await createExperiment(database.db, design({ key: "ns-third", variants, namespace: { name: "shelf", start: 0.6, end: 1 } }), actor);
    await startExperiment(database.db, "ns-first", actor);
    await expect(startExperiment(database.db, "ns-second", actor)).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(startExperiment(database.db, "ns-third", actor)).resolves.toMatchObject({ status: "running" });
    await stopExperiment(database.db, "ns-first", actor);
    await stopExperiment(database.db, "ns-third", actor);
    await expect(stopExperiment(database.db, "ns-third", actor)).rejects.toBeInstanceOf(ExperimentError);
  });

  it("analyses on the ledger, serves the results by REST (scope experiments:read), and shipping a variant promotes its version", async () => {
    // Outcomes need listening dated after the exposures: a round passes (dated up to now) and is ingested.
    await simulator.playRound();
    expect((await ingest(database, testConfig(simulator.url, lake.dir))).status).toBe("success");
    const run = await startRun(database, analyzePipeline({ deadlineUtc: "06:00", feedbackKeepDays: 400 }), { trigger: "cli" });
    expect((run.deduped ? await waitForRun(database, run.run.id) : await run.finished).status).toBe("success");
    const stored = await database.db.experimentResult.findMany();
    expect(stored.length).toBe(1);
    const { status, body } = await get<ResultsDocument>("/experiments/model-vs-popularity/results");
    contract.check("/experiments/{key}/results", "GET", status, body);
    expect(status).toBe(200);
    expect(body.variants.map((v) => v.key)).toEqual(["control", "model"]);
    expect(body.variants[0]!.metrics.hit_rate!.uplift).toBeUndefined();
    expect(body.variants[1]!.metrics.hit_rate!.uplift?.ci).toHaveLength(2);
    expect(body.srm.pValue).toBeGreaterThan(0);
    const unknown = await get("/experiments/nope-nope/results");
    contract.check("/experiments/{key}/results", "GET", unknown.status, unknown.body);
    expect(unknown.status).toBe(404);
    const forbidden = await get(
      "/experiments/model-vs-popularity/results",
      (await createApiKey(database.db, { name: "recs only", scopes: ["recommendations:read"] }, actor)).key,
    );
    expect(forbidden.status).toBe(403);
    expect((await get("/experiments/Bad%20Key/results")).status).toBe(400);

    // An experiment without stored results: computed once, then the same document for a while, however many ask.
    const { champion: championVersion, popularity: popularityVersion } = await versions();
    await createExperiment(
      database.db,
      design({
        key: "live-results",
        variants: [
          { key: "a", versionId: popularityVersion, weight: 1 },
          { key: "b", versionId: championVersion, weight: 1 },
        ],
        namespace: { name: "live", start: 0, end: 1 },
      }),
      actor,
    );
    // Another namespace hashes independently: it reaches the listeners model-vs-popularity does not hold, about half.
    const { reach } = await startExperiment(database.db, "live-results", actor);
    expect(reach.share).toBeGreaterThan(0.3);
    expect(reach.heldBy.map((h) => h.key)).toEqual(["model-vs-popularity"]);
    const answers = await Promise.all([1, 2, 3].map(() => get<ResultsDocument>("/experiments/live-results/results")));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.computedAt)).size).toBe(1);
    expect((await get<ResultsDocument>("/experiments/live-results/results")).body.computedAt).toBe(answers[0]!.body.computedAt);
    expect(answers[0]!.body.dataQuality.filter((n) => n.includes("not counted yet"))).toEqual([]);
    // A round ingested and not yet followed by the analyze pipeline: the results say so.
    await simulator.playRound();
    expect((await ingest(database, testConfig(simulator.url, lake.dir))).status).toBe("success");
    const lagging = await analyzeExperiment(database, (await getExperiment(database.db, "live-results"))!, { deadlineUtc: "06:00" });
    expect(lagging.dataQuality.filter((n) => n.includes("not counted yet"))).toHaveLength(1);
    await stopExperiment(database.db, "live-results", actor);

    const { popularity } = await versions();
    await decideExperiment(database.db, "model-vs-popularity", { variant: "control", note: "test: ship control" }, actor);
    expect((await database.db.modelAlias.findUniqueOrThrow({ where: { alias: "champion" } })).versionId).toBe(popularity);
    const audit = await database.db.auditLog.findMany({
      where: { OR: [{ action: "experiment.decide" }, { action: "model.promote", target: `version ${popularity}` }] },
    });
    expect(audit.map((a) => a.action).sort()).toEqual(["experiment.decide", "model.promote"]);
    // Decided: no longer served as an experiment.
    await engineFor(database).refresh();
    expect((await get<Recommendations>("/users/1/recommendations?k=1")).body.experiment).toBeNull();
  });
});

describe("experiments and artefact pruning", () => {
  it("keeps the artefacts of undecided experiments' versions, however few are kept", async () => {
    const { champion } = await versions();
    const other = await database.db.modelVersion.findFirstOrThrow({
      where: { id: { not: champion }, artefactPrunedAt: null, aliases: { none: {} }, experimentVariants: { none: {} } },
      orderBy: { id: "asc" },
    });
    await createExperiment(
      database.db,
      design({
        key: "kept-by-pruning",
        variants: [
          { key: "control", versionId: champion, weight: 1 },
          { key: "new", versionId: other.id, weight: 1 },
        ],
      }),
      actor,
    );
    await startExperiment(database.db, "kept-by-pruning", actor);
    // It takes in every listener: one started after it would reach none, and is refused with where to go.
    await createExperiment(
      database.db,
      design({
        key: "shadowed",
        variants: [
          { key: "control", versionId: champion, weight: 1 },
          { key: "new", versionId: other.id, weight: 1 },
        ],
        coverage: 0.5,
      }),
      actor,
    );
    expect(await currentReach(database.db, (await getExperiment(database.db, "shadowed"))!)).toMatchObject({
      reachable: 0,
      share: 0,
      heldBy: [{ key: "kept-by-pruning" }],
    });
    await expect(startExperiment(database.db, "shadowed", actor)).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringMatching(/would reach 0% of the \d+ listeners: "kept-by-pruning" takes in every listener.*namespace/),
    });
    expect((await getExperiment(database.db, "shadowed"))!.status).toBe("draft");
    // MODEL_ARTEFACTS_KEEP=1 at once, as after a few train runs.
    expect(await pruneArtefacts(database.db, openStore(lake.dir), 1)).not.toContain(other.id);
    expect((await database.db.modelVersion.findUniqueOrThrow({ where: { id: other.id } })).artefactPrunedAt).toBeNull();
    await engineFor(database).refresh();
    expect((await get<Recommendations>("/users/1/recommendations?k=3")).body.experiment?.key).toBe("kept-by-pruning");
    await stopExperiment(database.db, "kept-by-pruning", actor);
    // Stopped but not decided: still kept.
    expect(await pruneArtefacts(database.db, openStore(lake.dir), 1)).not.toContain(other.id);
  });

  it("marks and alerts a running experiment whose variant cannot be read, refuses to ship that variant with 412, and recovers when the artefact is back", async () => {
    const { champion } = await versions();
    const other = await database.db.modelVersion.findFirstOrThrow({ where: { id: { not: champion }, artefactPrunedAt: null }, orderBy: { id: "desc" } });
    await createExperiment(
      database.db,
      design({
        key: "lost-artefact",
        variants: [
          { key: "control", versionId: champion, weight: 1 },
          { key: "new", versionId: other.id, weight: 1 },
        ],
      }),
      actor,
    );
    // Pruned as an older Encore did, while the experiment was planned.
    await database.db.modelVersion.update({ where: { id: other.id }, data: { artefactPrunedAt: new Date(), artefactPath: null } });
    await startExperiment(database.db, "lost-artefact", actor);
    await engineFor(database).refresh();
    expect(unservableExperiments(database).get("lost-artefact")).toMatch(new RegExp(`Version ${other.id}'s artefact was pruned`));
    const alert = await database.db.alert.findFirst({ where: { incidentKey: unservableIncident("lost-artefact"), state: "open" } });
    expect(alert?.kind).toBe("experiment_unservable");
    expect((await get<Recommendations>("/users/1/recommendations?k=3")).body.experiment).toBeNull();
    const refusal = await decideExperiment(database.db, "lost-artefact", { variant: "new", note: "ship it" }, actor).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ExperimentError);
    expect(refusal).toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringMatching(/had its artefact pruned.*Ship another variant, or none/) });
    expect((await database.db.experiment.findUniqueOrThrow({ where: { key: "lost-artefact" } })).status).toBe("running");

    // The file is back: served again, the incident ends.
    await database.db.modelVersion.update({ where: { id: other.id }, data: { artefactPrunedAt: null, artefactPath: other.artefactPath } });
    await engineFor(database).refresh();
    expect(unservableExperiments(database).has("lost-artefact")).toBe(false);
    expect((await database.db.alert.findUniqueOrThrow({ where: { id: alert!.id } })).state).toBe("resolved");
    expect((await get<Recommendations>("/users/1/recommendations?k=3")).body.experiment?.key).toBe("lost-artefact");
    await decideExperiment(database.db, "lost-artefact", { variant: null, note: "test: ship none" }, actor);
  });
});
