/** Each track's nearest tracks: neighbours of track i at indptr[i]..indptr[i+1] (best first as made; a model keeps them by track index). */
export interface Neighbours {
  indptr: Int32Array;
  indices: Int32Array;
  similarity: Float32Array;
}

/**
 * Builds Neighbours a track at a time, keeping the `k` largest similarities offered for each
 * (ties: the lower track index) in typed arrays of at most tracks × k, trimmed at the end.
 */
export class NeighbourRows {
  private readonly indptr: Int32Array;
  private readonly indices: Int32Array;
  private readonly similarity: Float32Array;
  private readonly best: Int32Array;
  private readonly bestSim: Float64Array;
  private size = 0;
  private filled = 0;
  private row = 0;

  constructor(
    tracks: number,
    private readonly k: number,
  ) {
    this.indptr = new Int32Array(tracks + 1);
    this.indices = new Int32Array(tracks * k);
    this.similarity = new Float32Array(tracks * k);
    this.best = new Int32Array(k);
    this.bestSim = new Float64Array(k);
  }

  /** Offers track `j` with `sim` as a neighbour of the current track. */
  offer(j: number, sim: number): void {
    const { k, best, bestSim } = this;
    if (this.size === k && sim <= bestSim[k - 1]!) return;
    let at = this.size < k ? this.size++ : k - 1;
    while (at > 0 && (bestSim[at - 1]! < sim || (bestSim[at - 1] === sim && best[at - 1]! > j))) {
      best[at] = best[at - 1]!;
      bestSim[at] = bestSim[at - 1]!;
      at--;
    }
    best[at] = j;
    bestSim[at] = sim;
  }

  /** Stores the current track's neighbours, best first, and moves to the next track. */
  endRow(): void {
    for (let n = 0; n < this.size; n++) {
      this.indices[this.filled] = this.best[n]!;
      this.similarity[this.filled++] = this.bestSim[n]!;
    }
    this.indptr[++this.row] = this.filled;
    this.size = 0;
  }

  result(): Neighbours {
    return { indptr: this.indptr, indices: this.indices.slice(0, this.filled), similarity: this.similarity.slice(0, this.filled) };
  }
}

/** Sorts each track's neighbours by track index in place (a no-op for sorted rows), so `similarityOf` can binary-search them. */
export function byTrackIndex(n: Neighbours): Neighbours {
  for (let i = 0; i + 1 < n.indptr.length; i++) {
    const [start, end] = [n.indptr[i]!, n.indptr[i + 1]!];
    let sorted = true;
    for (let q = start + 1; q < end && sorted; q++) sorted = n.indices[q - 1]! < n.indices[q]!;
    if (sorted) continue;
    const order = Array.from({ length: end - start }, (_, k) => start + k).sort((a, b) => n.indices[a]! - n.indices[b]!);
    const [indices, similarity] = [Int32Array.from(order, (q) => n.indices[q]!), Float32Array.from(order, (q) => n.similarity[q]!)];
    n.indices.set(indices, start);
    n.similarity.set(similarity, start);
  }
  return n;
}

/** sim(i, item) when `item` is among i's neighbours, else 0 (rows sorted by track index). */
export function similarityOf(n: Neighbours, i: number, item: number): number {
  let [low, high] = [n.indptr[i]!, n.indptr[i + 1]! - 1];
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const j = n.indices[mid]!;
    if (j === item) return n.similarity[mid]!;
    if (j < item) low = mid + 1;
    else high = mid - 1;
  }
  return 0;
}
