/** A sparse matrix in compressed sparse row form (as scipy and `implicit` use): float32 values. */
export interface Csr {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  data: Float32Array;
}

/** Sums duplicate (row, col) entries; columns sorted within each row. */
export function csrFromTriplets(rows: number, cols: number, rowOf: Int32Array, colOf: Int32Array, value: Float32Array | number): Csr {
  const n = rowOf.length;
  const counts = new Int32Array(rows + 1);
  for (let k = 0; k < n; k++) counts[rowOf[k]! + 1]!++;
  for (let r = 0; r < rows; r++) counts[r + 1]! += counts[r]!;
  const order = new Int32Array(n);
  const next = counts.slice(0, rows);
  for (let k = 0; k < n; k++) order[next[rowOf[k]!]!++] = k;
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(n);
  const data = new Float32Array(n);
  let nnz = 0;
  for (let r = 0; r < rows; r++) {
    const start = counts[r]!;
    const length = counts[r + 1]! - start;
    // Sort the row's entries by column with one native numeric sort: key = column · 2^31 + position (exact in float64 for any catalogue under 2^22 tracks).
    const keys = new Float64Array(length);
    for (let p = 0; p < length; p++) keys[p] = colOf[order[start + p]!]! * 2_147_483_648 + p;
    keys.sort();
    let last = -1;
    for (let p = 0; p < length; p++) {
      const col = Math.floor(keys[p]! / 2_147_483_648);
      const k = order[start + (keys[p]! - col * 2_147_483_648)]!;
      const v = typeof value === "number" ? value : value[k]!;
      if (col === last) data[nnz - 1]! += v;
      else {
        indices[nnz] = col;
        data[nnz++] = v;
        last = col;
      }
    }
    indptr[r + 1] = nnz;
  }
  return { rows, cols, indptr, indices: indices.slice(0, nnz), data: data.slice(0, nnz) };
}

export function transpose(m: Csr): Csr {
  const counts = new Int32Array(m.cols + 1);
  for (let k = 0; k < m.indices.length; k++) counts[m.indices[k]! + 1]!++;
  for (let c = 0; c < m.cols; c++) counts[c + 1]! += counts[c]!;
  const next = counts.slice(0, m.cols);
  const indices = new Int32Array(m.indices.length);
  const data = new Float32Array(m.indices.length);
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.indptr[r]!; p < m.indptr[r + 1]!; p++) {
      const at = next[m.indices[p]!]!++;
      indices[at] = r;
      data[at] = m.data[p]!;
    }
  }
  return { rows: m.cols, cols: m.rows, indptr: counts, indices, data };
}

/** A copy with every stored value passed through `f` (e.g. confidence from counts). */
export const mapValues = (m: Csr, f: (v: number) => number): Csr => ({ ...m, data: m.data.map(f) });
