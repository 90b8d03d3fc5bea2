import type { ObjectStore } from "../storage/store";
import { encodeBinary, readVerified, writeContentAddressed } from "./binary";
import { hybridModel } from "./families/hybrid";
import { familyDefinition } from "./families/index";
import type { BlendComponent, Family, Model, Params, TypedArrays } from "./families/types";

interface ArtefactMeta {
  family: Family;
  params: Params;
  components?: BlendComponent[];
}

export interface StoredArtefact {
  path: string;
  digest: string;
  bytes: number;
}

/** Writes a model's artefact (with its catalogue's track ids) under `models/` in the store, content-addressed. */
export async function saveArtefact(store: ObjectStore, model: Model): Promise<StoredArtefact> {
  const { meta, trackIds, arrays } = partsOf(model);
  const encoded = encodeBinary<ArtefactMeta>(meta, { trackIds, ...arrays });
  const { location, digest, bytes } = await writeContentAddressed(store, "models", "model", encoded);
  return { path: location, digest, bytes };
}

/** A model from its stored arrays (an artefact's, or a worker thread's). */
export function modelFromArrays(family: Family, params: Params, trackIds: Int32Array, arrays: TypedArrays, components?: ArtefactMeta["components"]): Model {
  if (family !== "hybrid") return familyDefinition(family).restore(trackIds, arrays, params);
  return hybridModel(
    (components ?? []).map((c) => {
      const prefix = `${c.family}.`;
      const own = Object.fromEntries(
        Object.entries(arrays)
          .filter(([name]) => name.startsWith(prefix))
          .map(([name, a]) => [name.slice(prefix.length), a]),
      );
      return { model: modelFromArrays(c.family, c.params, trackIds, own), weight: c.weight };
    }),
  );
}

/** What a model is restored from: its artefact's header and arrays. */
export interface ArtefactParts {
  meta: ArtefactMeta;
  trackIds: Int32Array;
  arrays: TypedArrays;
}

/** Reads a stored model's parts, refusing an artefact whose checksum does not match; `shared`: in SharedArrayBuffers. */
export async function readArtefact(store: ObjectStore, artefact: { path: string; digest: string }, { shared = false } = {}): Promise<ArtefactParts> {
  const { meta, arrays } = await readVerified<ArtefactMeta>(store, artefact, { shared });
  const { trackIds, ...rest } = arrays;
  return { meta, trackIds: trackIds as Int32Array, arrays: rest };
}

/** What a model's artefact holds. */
export function partsOf(model: Model): ArtefactParts {
  const { meta, arrays } = model.artefact();
  return { meta: { ...meta, family: model.family, params: model.params }, trackIds: model.trackIds, arrays };
}

export const modelFromParts = ({ meta, trackIds, arrays }: ArtefactParts): Model =>
  modelFromArrays(meta.family, meta.params, trackIds, arrays, meta.components);

/** Loads a stored model, refusing an artefact whose checksum does not match. */
export async function loadArtefact(store: ObjectStore, artefact: { path: string; digest: string }): Promise<Model> {
  return modelFromParts(await readArtefact(store, artefact));
}
