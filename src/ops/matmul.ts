import { defineOp } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { promoteFloat } from '../dtype.ts';
import { fail } from '../errors.ts';
import { broadcastIndex, broadcastShapes, broadcastStrides, formatShape, sizeOf, stridesOf, type Shape } from '../shape.ts';
import { Params, type Dispatch, WORKGROUP } from './params.ts';
import { ANY_ZERO, type Meta, type OpSpec, type Call } from './spec.ts';

type Attrs = Record<string, never>;

/**
 * y = a @ b over the last two axes, batch axes broadcast (a [..., M, K] @ b [..., K, N] -> [..., M, N]);
 * da = dy @ b^T, db = a^T @ dy, at the broadcast batch shape.
 */
export const matmul = defineOp({
  name: 'matmul',
  // Matrix product over the last two axes, batch axes broadcast.
  call: (a: Tensor, b: Tensor): Call<Attrs> => ({ inputs: [a, b], attrs: {} }),
  inputs: [
    { name: 'a', dtype: 'float', differentiable: true },
    { name: 'b', dtype: 'float', differentiable: true },
  ],
  infer([a, b]) {
    for (const [name, t] of [
      ['a', a],
      ['b', b],
    ] as const) {
      if (t.shape.length < 2) {
        fail('matmul', `${name} ${formatShape(t.shape)} must have at least 2 dimensions (reshape a vector to [1,n] or [n,1])`);
      }
    }
    if (a.shape[a.shape.length - 1] !== b.shape[b.shape.length - 2]) {
      fail('matmul', `inner dimensions differ (a ${formatShape(a.shape)} @ b ${formatShape(b.shape)})`);
    }
    const { M, N, batch } = dims(a.shape, b.shape);
    return { shape: [...batch, M, N], dtype: promoteFloat([a.dtype, b.dtype]) };
  },
  saves: { inputs: [0, 1], output: false },
  fusible: 'epilogue', // its kernels store through emit() (shaders/matmul.wgsl)
  fwd([a, b], y) {
    const { M, K, N, ia, ib } = layout(a, b);
    const [A, B, Y] = [a.data, b.data, y.data];
    const row = new Float64Array(N); // NOTE: accumulate in f64 so the reference beats any f32 order
    for (let s = 0; s < ia.length; s++) {
      const [ao, bo, yo] = [ia[s] * M * K, ib[s] * K * N, s * M * N];
      for (let i = 0; i < M; i++) {
        row.fill(0);
        for (let k = 0; k < K; k++) {
          const aik = A[ao + i * K + k];
          const bk = bo + k * N;
          for (let j = 0; j < N; j++) row[j] += aik * B[bk + j]; // i-k-j: both inner reads contiguous
        }
        Y.set(row, yo + i * N);
      }
    }
  },
  vjp({ x: [a, b], dy }, wrt, dx) {
    const { M, K, N, ia, ib } = layout(a!, b!);
    const [A, B, G, D] = [a!.data, b!.data, dy.data, dx.data];
    for (let s = 0; s < ia.length; s++) {
      const [ao, bo, go] = [ia[s] * M * K, ib[s] * K * N, s * M * N];
      if (wrt === 0) {
        // da[i,k] = sum_j dy[i,j] b[k,j]: a dot product of two contiguous rows
        const d = s * M * K;
        for (let i = 0; i < M; i++) {
          for (let k = 0; k < K; k++) {
            let acc = 0;
            for (let j = 0; j < N; j++) acc += G[go + i * N + j] * B[bo + k * N + j];
            D[d + i * K + k] = acc;
          }
        }
      } else {
        // db[k,:] += a[i,k] dy[i,:]: contiguous rows again, summed in f64
        const acc = new Float64Array(K * N);
        for (let i = 0; i < M; i++) {
          for (let k = 0; k < K; k++) {
            const aik = A[ao + i * K + k];
            for (let j = 0; j < N; j++) acc[k * N + j] += aik * G[go + i * N + j];
          }
        }
        D.set(acc, s * K * N);
      }
    }
  },
  gpu: {
    fwd: ([a, b], _y, _attrs, variant) => tiles(a.shape, b.shape, 'fwd', variant),
    vjp: ([a, b], _y, wrt, _dx, _attrs, variant) => tiles(a.shape, b.shape, wrt === 0 ? 'da' : 'db', variant),
    // blocked: each invocation reads its operands from storage (CPU caches serve them: SwiftShader);
    // tiled: workgroups stage tiles in workgroup memory (GPUs).
    variants: { names: ['blocked', 'tiled'], software: 'blocked', hardware: 'tiled' },
  },
  vjpShape([a, b], _y, wrt) {
    const { M, K, N, batch } = dims(a.shape, b.shape);
    return wrt === 0 ? [...batch, M, K] : [...batch, K, N];
  },
  test: {
    cases: [
      {
        shapes: [
          [1, 1],
          [1, 1],
        ],
      },
      {
        shapes: [
          [3, 5],
          [5, 2],
        ],
      },
      {
        shapes: [
          [7, 13],
          [13, 11],
        ],
      },
      {
        shapes: [
          [2, 3, 4],
          [4, 5],
        ],
      },
      {
        shapes: [
          [2, 1, 3, 4],
          [3, 4, 2],
        ],
      },
      {
        shapes: [
          [0, 3],
          [3, 4],
        ],
      },
      {
        shapes: [
          [2, 0],
          [0, 3],
        ],
      },
    ],
    golden: [
      {
        inputs: [
          [
            [1, 2],
            [3, 4],
          ],
          [
            [5, 6],
            [7, 8],
          ],
        ],
        y: [
          [19, 22],
          [43, 50],
        ],
      },
      { inputs: [[[1, 2, 3]], [[1], [0], [-1]]], y: [[-2]] },
      {
        inputs: [
          [
            [
              [1, 0],
              [0, 1],
            ],
            [
              [2, 0],
              [0, 2],
            ],
          ],
          [
            [1, 2],
            [3, 4],
          ],
        ],
        y: [
          [
            [1, 2],
            [3, 4],
          ],
          [
            [2, 4],
            [6, 8],
          ],
        ],
      },
    ],
    // IEEE sums of products (torch.matmul; da = dy @ b^T, db = a^T @ dy): Inf * 0 and Inf - Inf are NaN.
    // A zero that is a sum takes its sign from BLAS's order: either sign.
    special: [
      { inputs: [[[Infinity, 1]], [[1], [2]]], y: [[Infinity]], dy: [[1]], dx: [[[1, 2]], [[Infinity], [1]]] },
      { inputs: [[[Infinity, 1]], [[0], [1]]], y: [[NaN]], dy: [[2]], dx: [[[0, 2]], [[Infinity], [2]]] },
      { inputs: [[[Infinity, -Infinity]], [[1], [1]]], y: [[NaN]], dy: [[1]], dx: [[[1, 1]], [[Infinity], [-Infinity]]] },
      {
        inputs: [
          [
            [NaN, 1],
            [1, 2],
          ],
          [
            [1, 0],
            [1, 3],
          ],
        ],
        y: [
          [NaN, NaN],
          [3, 6],
        ],
        dy: [
          [1, 1],
          [1, 1],
        ],
        dx: [
          [
            [1, 4],
            [1, 4],
          ],
          [
            [NaN, NaN],
            [3, 3],
          ],
        ],
      },
      { inputs: [[[1, 2]], [[0], [4]]], y: [[8]], dy: [[NaN]], dx: [[[NaN, NaN]], [[NaN], [NaN]]] },
      { inputs: [[[1, 2]], [[0], [4]]], y: [[8]], dy: [[Infinity]], dx: [[[NaN, Infinity]], [[Infinity], [Infinity]]] },
      { inputs: [[[-0, 1]], [[1], [-0]]], y: [[ANY_ZERO]], dy: [[1]], dx: [[[1, ANY_ZERO]], [[ANY_ZERO], [1]]] },
    ],
  },
} satisfies OpSpec<Attrs>);

function dims(a: Shape, b: Shape): { M: number; K: number; N: number; batch: number[] } {
  const batch = broadcastShapes('matmul', a.slice(0, -2), b.slice(0, -2), ['a batch', 'b batch']);
  return { M: a[a.length - 2], K: a[a.length - 1], N: b[b.length - 1], batch };
}

/**
 * Launch of the kernel computing O = L @ R per batch, 4x4 outputs per invocation:
 * fwd  y = a @ b      (rows M, cols N, inner K),
 * da   = dy @ b^T     (rows M, cols K, inner N: b read transposed),
 * db   = a^T @ dy     (rows K, cols N, inner M: a read transposed).
 * Batch strides are in elements, 0 where an operand is broadcast.
 */
function tiles(a: Shape, b: Shape, mode: 'fwd' | 'da' | 'db', variant = 'blocked'): Dispatch {
  const { M, K, N, batch } = dims(a, b);
  const sa = broadcastStrides(a.slice(0, -2), batch).map((s) => s * M * K);
  const sb = broadcastStrides(b.slice(0, -2), batch).map((s) => s * K * N);
  const sg = stridesOf(batch).map((s) => s * M * N); // dy has the full batch shape
  const [rows, cols, inner, sLr, sLk, sRk, sRc, sl, sr] =
    mode === 'fwd' ? [M, N, K, K, 1, N, 1, sa, sb] : mode === 'da' ? [M, K, N, N, 1, 1, N, sg, sb] : [K, N, M, 1, K, N, 1, sa, sg];
  const params = new Params().u32(sizeOf(batch), batch.length).dims(batch, 'matmul').dims(sl, 'matmul').dims(sr, 'matmul');
  const shape = { ROWS: rows, COLS: cols, INNER: inner, SLR: sLr, SLK: sLk, SRK: sRk, SRC: sRc, WRT: mode === 'db' ? 1 : 0 };
  if (variant === 'tiled') {
    // 32 x 32 outputs per workgroup
    const groups = sizeOf(batch) * Math.ceil(rows / 32) * Math.ceil(cols / 32);
    return { groups, params, constants: shape };
  }
  // A workgroup covers br x bc tiles of 4x4 outputs, as square as the output allows (8 x 8 when it is wide).
  const tilesC = Math.ceil(cols / 4);
  const bc = Math.min(8, 2 ** Math.ceil(Math.log2(Math.max(tilesC, 1))));
  const br = WORKGROUP / bc;
  const groups = sizeOf(batch) * Math.ceil(Math.ceil(rows / 4) / br) * Math.ceil(tilesC / bc);
  return { groups, params, constants: { ...shape, BR: br, BC: bc } };
}

/** Matrix sizes, and for each batch index of the output, which matrix of a and of b it uses. */
function layout(a: Meta, b: Meta) {
  const { M, K, N, batch } = dims(a.shape, b.shape);
  const ia = sizeOf(batch) === 0 ? new Int32Array(0) : broadcastIndex(a.shape.slice(0, -2), batch);
  const ib = sizeOf(batch) === 0 ? new Int32Array(0) : broadcastIndex(b.shape.slice(0, -2), batch);
  return { M, K, N, ia, ib };
}
