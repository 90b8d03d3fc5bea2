/**
 * Indices of the k highest scores, best first; ties go to the lower index, so rankings are
 * repeatable. Entries set to -Infinity (excluded tracks) are never returned. Insertion into a
 * small sorted buffer: most candidates are rejected by one comparison with the current k-th.
 */
export function topK(scores: Float32Array, k: number): Int32Array {
  const best = new Int32Array(k);
  const bestScore = new Float64Array(k);
  let size = 0;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (s === Number.NEGATIVE_INFINITY || Number.isNaN(s)) continue;
    if (size === k && s <= bestScore[k - 1]!) continue;
    let at = size < k ? size++ : k - 1;
    while (at > 0 && bestScore[at - 1]! < s) {
      best[at] = best[at - 1]!;
      bestScore[at] = bestScore[at - 1]!;
      at--;
    }
    best[at] = i;
    bestScore[at] = s;
  }
  return best.slice(0, size);
}

/**
 * Indices of the k highest finite scores in no particular order (ties at the k-th: the lower
 * indices), in linear time. For a few hundred among tens of thousands (retrieval's case), one pass
 * with a bounded min-heap of the best so far: after the first few thousand tracks nearly every
 * score is turned away by one comparison with the heap's root. Otherwise the k-th value by
 * quickselect (Hoare 1961), then one pass.
 */
export function largest(scores: Float32Array, k: number): Int32Array {
  if (k > 0 && k * 8 <= scores.length) return largestByHeap(scores, k);
  let finite = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i] !== Number.NEGATIVE_INFINITY && !Number.isNaN(scores[i]!)) finite++;
  if (finite <= k) {
    const all = new Int32Array(finite);
    for (let i = 0, n = 0; i < scores.length; i++) if (scores[i] !== Number.NEGATIVE_INFINITY && !Number.isNaN(scores[i]!)) all[n++] = i;
    return all;
  }
  if (k <= 0) return new Int32Array();
  const values = new Float32Array(finite);
  for (let i = 0, n = 0; i < scores.length; i++) if (scores[i] !== Number.NEGATIVE_INFINITY && !Number.isNaN(scores[i]!)) values[n++] = scores[i]!;
  const kth = select(values, k - 1);
  const out = new Int32Array(k);
  let n = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > kth) out[n++] = i;
  for (let i = 0; i < scores.length && n < k; i++) if (scores[i] === kth) out[n++] = i;
  return out;
}

/**
 * `largest` through a min-heap of the k best seen (root: the lowest score, of them the highest
 * index). Indices arrive in order, so a score equal to the root's loses to it: ties keep the lower
 * indices, as `largest` promises. Ascending by index.
 */
function largestByHeap(scores: Float32Array, k: number): Int32Array {
  const heapScore = new Float64Array(k);
  const heapIndex = new Int32Array(k);
  let size = 0;
  // a below b in the heap's order: lower score, or the same score and a higher index
  const below = (a: number, b: number) => heapScore[a]! < heapScore[b]! || (heapScore[a] === heapScore[b] && heapIndex[a]! > heapIndex[b]!);
  const swap = (a: number, b: number) => {
    const [s, i] = [heapScore[a]!, heapIndex[a]!];
    heapScore[a] = heapScore[b]!;
    heapIndex[a] = heapIndex[b]!;
    heapScore[b] = s;
    heapIndex[b] = i;
  };
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (s === Number.NEGATIVE_INFINITY || Number.isNaN(s)) continue;
    if (size < k) {
      let at = size++;
      heapScore[at] = s;
      heapIndex[at] = i;
      while (at > 0 && below(at, (at - 1) >> 1)) {
        swap(at, (at - 1) >> 1);
        at = (at - 1) >> 1;
      }
      continue;
    }
    if (s <= heapScore[0]!) continue;
    heapScore[0] = s;
    heapIndex[0] = i;
    for (let at = 0; ; ) {
      const [left, right] = [2 * at + 1, 2 * at + 2];
      let least = at;
      if (left < k && below(left, least)) least = left;
      if (right < k && below(right, least)) least = right;
      if (least === at) break;
      swap(at, least);
      at = least;
    }
  }
  return heapIndex.slice(0, size).sort();
}

/** The value that would stand at `rank` (0: the largest) were `values` sorted descending; reorders `values`. */
function select(values: Float32Array, rank: number): number {
  let [low, high] = [0, values.length - 1];
  while (low < high) {
    // Median of three as the pivot: sorted or constant input stays linear.
    const mid = (low + high) >>> 1;
    const [a, b, c] = [values[low]!, values[mid]!, values[high]!];
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    let [i, j] = [low, high];
    while (i <= j) {
      while (values[i]! > pivot) i++;
      while (values[j]! < pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i++] = values[j]!;
        values[j--] = t;
      }
    }
    if (rank <= j) high = j;
    else if (rank >= i) low = i;
    else return values[rank]!;
  }
  return values[low]!;
}
