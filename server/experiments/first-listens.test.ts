import { describe, expect, it } from "vitest";
import { ListenerFirstListens } from "./first-listens";

const changes = (listener: ListenerFirstListens) => {
  const days: { day: number; tracks: number[]; existed: boolean }[] = [];
  listener.changes((day, tracks, existed) => days.push({ day, tracks: [...tracks], existed }));
  return days;
};

describe("ListenerFirstListens", () => {
  it("adds new tracks to their day, moves a track heard earlier than known, and empties the day it leaves", () => {
    const listener = new ListenerFirstListens();
    listener.reset();
    // Known: 7 and 9 first heard on day 50, 3 on day 60.
    listener.addKnown(50, [9, 7]);
    listener.addKnown(60, [3]);
    // Loaded: day 70 has 3 (known, nothing to do), 5 and 5 again; a late day 40 has 9 and 5; day 50 (edited) has 11.
    listener.addLoaded(70, [3, 5, 5]);
    listener.addLoaded(40, [9, 5]);
    listener.addLoaded(50, [11]);
    // 5 is new (first on 40), 11 is new (on 50), 9 moves from 50 to 40; 70 gets nothing.
    expect(changes(listener)).toEqual([
      { day: 40, tracks: [5, 9], existed: false },
      { day: 50, tracks: [7, 11], existed: true },
    ]);
    expect({ added: listener.added, moved: listener.moved }).toEqual({ added: 2, moved: 1 });
  });

  it("reports a day left with no track, and forgets the previous listener on reset", () => {
    const listener = new ListenerFirstListens();
    listener.reset();
    listener.addKnown(20, [1]);
    listener.addLoaded(10, [1]);
    expect(changes(listener)).toEqual([
      { day: 10, tracks: [1], existed: false },
      { day: 20, tracks: [], existed: true },
    ]);
    listener.reset();
    listener.addKnown(30, [2]);
    listener.addLoaded(40, [2]);
    expect(changes(listener)).toEqual([]);
    expect({ added: listener.added, moved: listener.moved }).toEqual({ added: 0, moved: 0 });
  });

  it("keeps every track of a listener with far more tracks than its table started with", () => {
    const listener = new ListenerFirstListens(16);
    listener.reset();
    const known = Array.from({ length: 3000 }, (_, i) => i * 7 - 10_000);
    listener.addKnown(5, known);
    const loaded = Array.from({ length: 5000 }, (_, i) => i * 3 - 10_000);
    listener.addLoaded(9, loaded);
    const knownSet = new Set(known);
    const fresh = loaded.filter((t) => !knownSet.has(t)).sort((a, b) => a - b);
    expect(changes(listener)).toEqual([{ day: 9, tracks: fresh, existed: false }]);
    expect(listener.added).toBe(fresh.length);
  });

  it("gives each day of a first run over a long history once, in order, with the tracks first heard on it", () => {
    const listener = new ListenerFirstListens();
    listener.reset();
    // Day d (given latest first) plays tracks d and d + 1: day 1 discovers 1 and 2, each later day d + 1 alone.
    for (let d = 400; d >= 1; d--) listener.addLoaded(d * 86_400e6, [d + 1, d]);
    const days = changes(listener);
    expect(days.map((c) => c.day)).toEqual(Array.from({ length: 400 }, (_, i) => (i + 1) * 86_400e6));
    expect(days[0]).toEqual({ day: 86_400e6, tracks: [1, 2], existed: false });
    expect(days[1]).toEqual({ day: 2 * 86_400e6, tracks: [3], existed: false });
    expect(days[399]).toEqual({ day: 400 * 86_400e6, tracks: [401], existed: false });
    expect(listener.added).toBe(401);
  });
});
