type Typed = Int32Array | Float64Array;

/** An append-only typed array that doubles when full: rows of a stream whose count is not known ahead. */
export class Growable<T extends Typed> {
  private array: T;
  length = 0;

  constructor(
    private readonly make: (capacity: number) => T,
    capacity = 1024,
  ) {
    this.array = make(capacity);
  }

  push(value: number): void {
    if (this.length === this.array.length) {
      const bigger = this.make(this.array.length * 2);
      bigger.set(this.array);
      this.array = bigger;
    }
    this.array[this.length++] = value;
  }

  /** The values pushed, in an array of their exact length. */
  done(): T {
    return this.array.slice(0, this.length) as T;
  }
}
