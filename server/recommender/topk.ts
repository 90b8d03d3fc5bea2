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
