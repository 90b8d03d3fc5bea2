type Typed = Int32Array | Float32Array | Float64Array | Uint8Array;

const isTyped = (value: unknown): value is Typed =>
  value instanceof Int32Array || value instanceof Float32Array || value instanceof Float64Array || value instanceof Uint8Array;

/**
 * `value` with each of its typed arrays (in plain objects and arrays, at any depth) copied once to
 * shared memory: handed to worker threads, they then read the same bytes instead of copies.
 */
export function onSharedMemory<T>(value: T): T {
  if (isTyped(value)) {
    if (value.buffer instanceof SharedArrayBuffer) return value;
    const copy = new (value.constructor as new (buffer: SharedArrayBuffer) => Typed)(new SharedArrayBuffer(value.byteLength));
    copy.set(value);
    return copy as T;
  }
  if (Array.isArray(value)) return value.map(onSharedMemory) as T;
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, onSharedMemory(field)])) as T;
  return value;
}
