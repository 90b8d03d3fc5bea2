/**
 * One listener's first listens, brought up to date with their newly loaded listening: fed the
 * listener's discoveries rows (the day each known track was first heard) and their loaded history
 * rows, it tells which discoveries days change and what each then holds. Times are microseconds
 * since 2000-01-01 UTC (PostgreSQL's own), exact in a double. Reused from listener to listener:
 * its typed arrays grow to the largest listener and are never cleared, only re-stamped.
 */
export class ListenerFirstListens {
  private slots = 0;
  private keys = new Int32Array(0);
  private stamps = new Int32Array(0);
  private knownAt = new Float64Array(0);
  private loadedAt = new Float64Array(0);
  private stamp = 0;
  private used = new Int32Array(16);
  private usedCount = 0;
  private changedDays = new Float64Array(16);
  private order = new Float64Array(16);
  private dayTracks = new Int32Array(16);
  private knownDays = new Float64Array(16);
  private knownDayCount = 0;

  /** As `changes` counts them: (listener, track) pairs first heard in the loaded rows, and pairs the loaded rows moved earlier. */
  added = 0;
  moved = 0;

  constructor(expectedTracks = 1024) {
    this.grow(expectedTracks);
  }

  /** Starts the next listener. */
  reset(): void {
    this.stamp++;
    this.usedCount = 0;
    this.knownDayCount = 0;
    this.added = 0;
    this.moved = 0;
  }

  /** A discoveries row: these tracks were first heard at `day`. */
  addKnown(day: number, tracks: ArrayLike<number>, count = tracks.length): void {
    if (this.knownDayCount === this.knownDays.length) this.knownDays = grown(this.knownDays, this.knownDayCount * 2);
    this.knownDays[this.knownDayCount++] = day;
    for (let i = 0; i < count; i++) {
      const slot = this.slot(tracks[i]!);
      if (day < this.knownAt[slot]!) this.knownAt[slot] = day;
    }
  }

  /** A history row loaded since the last refresh: these tracks were heard at `at`. */
  addLoaded(at: number, tracks: ArrayLike<number>, count = tracks.length): void {
    for (let i = 0; i < count; i++) {
      const slot = this.slot(tracks[i]!);
      if (at < this.loadedAt[slot]!) this.loadedAt[slot] = at;
    }
  }

  /**
   * Calls `onDay` once per discoveries day that changes, days in order, with every track first
   * heard that day in increasing order (none: the day's row goes), in an array reused by the next
   * call, and whether the day had a row already. A track heard earlier than known leaves its old
   * day for the new one.
   */
  changes(onDay: (day: number, tracks: Int32Array, existed: boolean) => void): void {
    let days = 0;
    for (let u = 0; u < this.usedCount; u++) {
      const slot = this.used[u]!;
      const known = this.knownAt[slot]!;
      const loaded = this.loadedAt[slot]!;
      if (loaded >= known) continue;
      if (known === Number.POSITIVE_INFINITY) this.added++;
      else {
        this.moved++;
        days = this.markDay(days, known);
      }
      days = this.markDay(days, loaded);
    }
    if (days === 0) return;
    // Marked once per track: sorted, then each day once (a first run over a long history changes hundreds).
    const marked = this.changedDays.subarray(0, days).sort();
    days = 0;
    for (let d = 0; d < marked.length; d++) if (d === 0 || marked[d] !== marked[d - 1]) marked[days++] = marked[d]!;
    const changed = marked.subarray(0, days);
    // Each track of a changed day as one sortable number: the day's rank, then the track.
    let n = 0;
    for (let u = 0; u < this.usedCount; u++) {
      const slot = this.used[u]!;
      const rank = indexOf(changed, Math.min(this.knownAt[slot]!, this.loadedAt[slot]!));
      if (rank < 0) continue;
      if (n === this.order.length) this.order = grown(this.order, n * 2);
      this.order[n++] = rank * 2 ** 32 + (this.keys[slot]! + 2 ** 31);
    }
    const order = this.order.subarray(0, n).sort();
    if (this.dayTracks.length < n) this.dayTracks = new Int32Array(n * 2);
    const tracks = this.dayTracks;
    let i = 0;
    for (let rank = 0; rank < days; rank++) {
      const start = i;
      while (i < n && Math.floor(order[i]! / 2 ** 32) === rank) {
        tracks[i] = (order[i]! % 2 ** 32) - 2 ** 31;
        i++;
      }
      const day = changed[rank]!;
      onDay(day, tracks.subarray(start, i), this.knownDays.subarray(0, this.knownDayCount).includes(day));
    }
  }

  private markDay(days: number, day: number): number {
    if (days === this.changedDays.length) this.changedDays = grown(this.changedDays, days * 2);
    this.changedDays[days] = day;
    return days + 1;
  }

  /** The track's slot in this listener's open-addressing table, made on first sight. */
  private slot(track: number): number {
    if (this.usedCount * 2 >= this.slots) this.grow(this.slots * 2);
    const mask = this.slots - 1;
    let s = (Math.imul(track, 0x9e3779b1) >>> 0) & mask;
    while (this.stamps[s] === this.stamp) {
      if (this.keys[s] === track) return s;
      s = (s + 1) & mask;
    }
    this.stamps[s] = this.stamp;
    this.keys[s] = track;
    this.knownAt[s] = Number.POSITIVE_INFINITY;
    this.loadedAt[s] = Number.POSITIVE_INFINITY;
    if (this.usedCount === this.used.length) this.used = grown(this.used, this.usedCount * 2);
    this.used[this.usedCount++] = s;
    return s;
  }

  private grow(atLeast: number): void {
    let slots = 16;
    while (slots < atLeast) slots *= 2;
    const old = { keys: this.keys, known: this.knownAt, loaded: this.loadedAt, used: this.used.subarray(0, this.usedCount) };
    this.slots = slots;
    this.keys = new Int32Array(slots);
    this.stamps = new Int32Array(slots);
    this.knownAt = new Float64Array(slots);
    this.loadedAt = new Float64Array(slots);
    this.stamp = 1;
    const used = Int32Array.from(old.used);
    this.usedCount = 0;
    for (const s of used) {
      const slot = this.slot(old.keys[s]!);
      this.knownAt[slot] = old.known[s]!;
      this.loadedAt[slot] = old.loaded[s]!;
    }
  }
}

function indexOf(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else if (sorted[mid]! > value) hi = mid - 1;
    else return mid;
  }
  return -1;
}

function grown<T extends Int32Array | Float64Array>(array: T, length: number): T {
  const next = new (array.constructor as new (n: number) => T)(length);
  next.set(array);
  return next;
}
