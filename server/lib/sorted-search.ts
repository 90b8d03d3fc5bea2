/** The position of `value` in `sorted[from … to)` (ascending), or −1: a binary search. */
export function positionIn(sorted: Int32Array, value: number, from = 0, to = sorted.length): number {
  let [low, high] = [from, to - 1];
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const at = sorted[mid]!;
    if (at === value) return mid;
    if (at < value) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}
