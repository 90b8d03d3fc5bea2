/** Dense linear algebra on row-major float64 matrices, for the small systems the models solve. */

/** Cholesky factor of a symmetric positive definite n × n matrix, in place: its lower triangle becomes L (A = LLᵀ). */
export function cholesky(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const jr = j * n;
    let d = a[jr + j]!;
    for (let k = 0; k < j; k++) d -= a[jr + k]! ** 2;
    if (d <= 0) throw new Error("matrix is not positive definite");
    const ljj = Math.sqrt(d);
    a[jr + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ir = i * n;
      let s = a[ir + j]!;
      for (let k = 0; k < j; k++) s -= a[ir + k]! * a[jr + k]!;
      a[ir + j] = s / ljj;
    }
  }
}

/** Solves Ax = b for symmetric positive definite A (destroyed: it holds L afterwards); returns x. */
export function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  cholesky(a, n);
  return solveCholesky(a, b, n);
}

/** Solves LLᵀx = b from the factor `cholesky` left in the lower triangle of `l`: one forward, one back substitution, O(n²). */
export function solveCholesky(l: Float64Array, b: ArrayLike<number>, n: number): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}

/** Inverse of a symmetric positive definite n × n matrix (destroyed) through its Cholesky factor: A⁻¹ = L⁻ᵀL⁻¹. O(n³). */
export function invertSpd(a: Float64Array, n: number): Float64Array {
  cholesky(a, n);
  // M = L⁻¹ (lower), by forward substitution, row by row.
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ir = i * n;
    m[ir + i] = 1 / a[ir + i]!;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s += a[ir + k]! * m[k * n + j]!;
      m[ir + j] = -s / a[ir + i]!;
    }
  }
  // A⁻¹ = MᵀM: entry (i, j) = Σ_{k ≥ max(i,j)} M[k][i]·M[k][j], accumulated row by row of M.
  const inv = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const kr = k * n;
    for (let i = 0; i <= k; i++) {
      const mki = m[kr + i]!;
      if (mki === 0) continue;
      const ir = i * n;
      for (let j = 0; j <= i; j++) inv[ir + j]! += mki * m[kr + j]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) inv[j * n + i] = inv[i * n + j]!;
  return inv;
}
