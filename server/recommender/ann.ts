import hnswlib from "hnswlib-node";

/** Graph degree and build beam of the HNSW index: hnswlib's usual values for tens of dimensions. */
const LINKS = 16;
const BUILD_EF = 100;
/** The search beam, as a multiple of the answer's size: 4 keeps recall near 1 at a few hundred (bench:candidates). */
const SEARCH_EF_FACTOR = 4;

/**
 * Maximum inner product search over fixed vectors: an HNSW graph (Malkov & Yashunin 2018, hnswlib)
 * built and searched on the inner product itself, which finds the largest products better than an
 * L2 reduction does (ip-NSW, Morozov & Babenko 2018). Built once, inserting in index order with a
 * fixed seed: the same vectors give the same graph.
 */
export class InnerProductIndex {
  private readonly index: hnswlib.HierarchicalNSW;
  private readonly query: number[];

  constructor(
    vectors: Float32Array,
    readonly dims: number,
    seed: number,
  ) {
    const count = vectors.length / dims;
    this.index = new hnswlib.HierarchicalNSW("ip", dims);
    this.index.initIndex(Math.max(1, count), LINKS, BUILD_EF, seed);
    const point = new Array<number>(dims);
    for (let i = 0; i < count; i++) {
      let normSq = 0;
      for (let k = 0; k < dims; k++) {
        const v = vectors[i * dims + k]!;
        point[k] = v;
        normSq += v * v;
      }
      // A zero vector (a track no one heard) scores 0 for everyone: thousands of identical points would break the graph apart.
      if (normSq > 0) this.index.addPoint(point, i);
    }
    this.query = new Array<number>(dims).fill(0);
  }

  /** The `k` indexed vectors with the largest inner product with `x` (approximately), best first. */
  search(x: ArrayLike<number>, k: number): Int32Array {
    const wanted = Math.min(k, this.index.getCurrentCount());
    if (wanted === 0) return new Int32Array();
    for (let d = 0; d < this.dims; d++) this.query[d] = x[d]!;
    this.index.setEf(Math.max(SEARCH_EF_FACTOR * wanted, 50));
    return Int32Array.from(this.index.searchKnn(this.query, wanted).neighbors);
  }
}
