import { parentPort } from "node:worker_threads";
import { modelFromParts } from "../recommender/artefacts";
import { inCatalogue } from "../recommender/catalogue";
import type { Model } from "../recommender/families/types";
import { unpackCatalogue } from "./catalogue";
import { fromScratch, warmUp, type RankingState } from "./recommend";
import type { RankerMessage, RankerReply } from "./ranker";

// The ranking thread (ranker.ts): holds catalogues and prepared models, ranks one request at a time.

const port = parentPort!;
const states = new Map<number, RankingState>();
/** prepared models by version, in their own catalogues */
const versions = new Map<number, Promise<Model>>();
/** each version seen through each catalogue, made once */
const views = new Map<string, Model>();

async function modelIn(catalogue: number, versionId: number | null): Promise<Model | null> {
  if (versionId === null) return null;
  const key = `${catalogue}:${versionId}`;
  let view = views.get(key);
  if (!view) {
    const model = await versions.get(versionId);
    if (!model) throw new Error(`version ${versionId} was never sent to this thread`);
    views.set(key, (view = inCatalogue(model, stateOf(catalogue).catalogue.trackIds)));
  }
  return view;
}

function stateOf(catalogue: number): RankingState {
  const state = states.get(catalogue);
  if (!state) throw new Error(`catalogue ${catalogue} is not held by this thread`);
  return state;
}

function forgetViews(matches: (key: string) => boolean): void {
  for (const key of views.keys()) if (matches(key)) views.delete(key);
}

async function handle(message: RankerMessage): Promise<Omit<RankerReply, "call">> {
  switch (message.type) {
    case "catalogue": {
      const catalogue = unpackCatalogue(message.packed);
      const size = catalogue.trackIds.length;
      states.set(message.catalogue, { catalogue, scoring: message.scoring, scores: new Float32Array(size), scratch: new Float32Array(size) });
      return {};
    }
    case "version": {
      const model = modelFromParts(message.parts);
      const prepared = (async () => {
        if (message.prepare) await model.prepare?.();
        return model;
      })();
      versions.set(message.versionId, prepared);
      forgetViews((key) => key.endsWith(`:${message.versionId}`));
      await prepared;
      return {};
    }
    case "warm": {
      const state = stateOf(message.catalogue);
      warmUp(state, await Promise.all(message.versions.map((v) => modelIn(message.catalogue, v))));
      return {};
    }
    case "rank": {
      const model = await modelIn(message.catalogue, message.versionId);
      return { picked: fromScratch(stateOf(message.catalogue), model, message.request) };
    }
    case "forget-catalogue":
      states.delete(message.catalogue);
      forgetViews((key) => key.startsWith(`${message.catalogue}:`));
      return {};
    case "forget-version":
      versions.delete(message.versionId);
      forgetViews((key) => key.endsWith(`:${message.versionId}`));
      return {};
  }
}

port.on("message", (message: RankerMessage & { call: number }) => {
  handle(message).then(
    (reply) => port.postMessage({ ...reply, call: message.call }),
    (error: unknown) => port.postMessage({ call: message.call, error: error instanceof Error ? error.message : String(error) }),
  );
});
port.postMessage({ ready: true });
