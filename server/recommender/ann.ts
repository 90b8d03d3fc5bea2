import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import hnswlib from "hnswlib-node";
import { buildGraphInWorker } from "./in-worker";

/** Graph degree and build beam of the HNSW index: hnswlib's usual values for tens of dimensions. */
const LINKS = 16;
const BUILD_EF = 100;
/** The search beam, as a multiple of the answer's size: 4 keeps recall near 1 at a few hundred (bench:candidates). */
export const SEARCH_BEAM = 4;
/** As one source of a blend's candidates, whose other families find what a beam the size of the answer misses (bench:candidates (d): recall@100 1). */
export const BLEND_BEAM = 1;

/** The graph over `vectors` (`dims` each), inserted in index order with `seed`: the same vectors give the same graph. */
export function buildGraph(vectors: Float32Array, dims: number, seed: number): hnswlib.HierarchicalNSW {
  const count = vectors.length / dims;
  const graph = new hnswlib.HierarchicalNSW("ip", dims);
  graph.initIndex(Math.max(1, count), LINKS, BUILD_EF, seed);
  const point = new Array<number>(dims);
  for (let i = 0; i < count; i++) {
    let normSq = 0;
    for (let k = 0; k < dims; k++) {
      const v = vectors[i * dims + k]!;
      point[k] = v;
      normSq += v * v;
    }
    // A zero vector (a track no one heard) scores 0 for everyone: thousands of identical points would break the graph apart.
    if (normSq > 0) graph.addPoint(point, i);
  }
  return graph;
}

/**
 * Maximum inner product search over fixed vectors: an HNSW graph (Malkov & Yashunin 2018, hnswlib)
 * built and searched on the inner product itself, which finds the largest products better than an
 * L2 reduction does (ip-NSW, Morozov & Babenko 2018). Built once, inserting in index order with a
 * fixed seed: the same vectors give the same graph.
 */
export class InnerProductIndex {
  private readonly index: hnswlib.HierarchicalNSW;
  private readonly query: number[];

  /** Builds the graph on this thread, unless `graph` (built from the same vectors) is given. */
  constructor(
    vectors: Float32Array,
    readonly dims: number,
    seed: number,
    graph?: hnswlib.HierarchicalNSW,
  ) {
    this.index = graph ?? buildGraph(vectors, dims, seed);
    this.query = new Array<number>(dims).fill(0);
  }

  /**
   * The same index, its graph built on a worker thread (20 s at 500,000 tracks) and read back here
   * from a file in the background, so the event loop keeps answering meanwhile; built on this
   * thread when no worker can run here (under a test runner).
   */
  static async inBackground(vectors: Float32Array, dims: number, seed: number): Promise<InnerProductIndex> {
    const file = path.join(os.tmpdir(), `encore-hnsw-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.bin`);
    try {
      const built = await buildGraphInWorker({ vectors, dims, seed, file }, new AbortController().signal);
      if ("unavailable" in built) return new InnerProductIndex(vectors, dims, seed);
      const graph = new hnswlib.HierarchicalNSW("ip", dims);
      await graph.readIndex(file);
      return new InnerProductIndex(vectors, dims, seed, graph);
    } finally {
      await rm(file, { force: true });
    }
  }

  /** The `k` indexed vectors with the largest inner product with `x` (approximately), best first; a beam of `beam` × k. */
  search(x: ArrayLike<number>, k: number, beam = SEARCH_BEAM): Int32Array {
    const wanted = Math.min(k, this.index.getCurrentCount());
    if (wanted === 0) return new Int32Array();
    for (let d = 0; d < this.dims; d++) this.query[d] = x[d]!;
    this.index.setEf(Math.max(beam * wanted, 50));
    return Int32Array.from(this.index.searchKnn(this.query, wanted).neighbors);
  }
}
