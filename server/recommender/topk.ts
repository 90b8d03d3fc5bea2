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
 * indices), in linear time: the k-th value by quickselect (Hoare 1961), then one pass. For picking
 * a few hundred candidates among thousands, where `topK`'s sorted buffer would shift on each insert.
 */
export function largest(scores: Float32Array, k: number): Int32Array {
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
