import { aroundAxis } from '../shape.ts';
import { axisCases, axisInfer, type AxisAttrs } from './softmax.ts';
import type { OpSpec } from './spec.ts';

/** y = x - max - log sum exp(x - max) along axis; dx = dy - exp(y) sum(dy) along the same axis. */
export const log_softmax: OpSpec<AxisAttrs> = {
  name: 'log_softmax',
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer: ([x], attrs) => axisInfer('log_softmax', x, attrs),
  saves: { inputs: [], output: true },
  fwd([x], y, { axis }) {
    const { outer, n, inner } = aroundAxis(x.shape, axis);
    const [X, Y] = [x.data, y.data];
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let m = -Infinity;
        for (let j = 0; j < n; j++) m = Math.max(m, X[base + j * inner]);
        let s = 0;
        for (let j = 0; j < n; j++) s += Math.exp(X[base + j * inner] - m);
        const lse = m + Math.log(s); // NOTE: log-sum-exp shifted by the max: exact for large logits
        for (let j = 0; j < n; j++) Y[base + j * inner] = X[base + j * inner] - lse;
      }
    }
  },
  vjp({ y, dy, attrs: { axis } }, _wrt, dx) {
    const { outer, n, inner } = aroundAxis(y!.shape, axis);
    const [Y, G, D] = [y!.data, dy.data, dx.data];
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let total = 0;
        for (let j = 0; j < n; j++) total += G[base + j * inner];
        for (let j = 0; j < n; j++) D[base + j * inner] = G[base + j * inner] - Math.exp(Y[base + j * inner]) * total;
      }
    }
  },
  test: {
    cases: axisCases(),
    golden: [
      { inputs: [[0, Math.log(3)]], attrs: { axis: 0 }, y: [Math.log(0.25), Math.log(0.75)] },
      { inputs: [[[1000, 1000]]], attrs: { axis: 1 }, y: [[-Math.LN2, -Math.LN2]] },
    ],
  },
};
