import { defineOp, ndimOf } from './define.ts';
import { normalizeAxis } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { axisCases, axisInfer, expSum, forEachLane, laneDispatch, type AxisAttrs } from './softmax.ts';
import type { OpSpec, Call } from './spec.ts';

/** The special-value tables run along axis 1. */
const axis1: AxisAttrs = { axis: 1 };

/** y = x - max - log sum exp(x - max) along axis; dx = dy - exp(y) sum(dy) along the same axis. */
export const logSoftmax = defineOp({
  name: 'log_softmax',
  call: (x: Tensor, axis = -1): Call<AxisAttrs> => ({ inputs: [x], attrs: { axis: normalizeAxis('log_softmax', axis, ndimOf('log_softmax', x)) } }),
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer: ([x], attrs) => axisInfer('log_softmax', x, attrs),
  saves: { inputs: [], output: true },
  fwd([x], y, { axis }) {
    const [X, Y] = [x.data, y.data];
    forEachLane(x.shape, axis, (base, n, stride) => {
      const { max, sum } = expSum(X, base, n, stride);
      const lse = max + Math.log(sum); // log-sum-exp, exact for large logits
      for (let j = 0; j < n; j++) Y[base + j * stride] = X[base + j * stride] - lse;
    });
  },
  vjp({ y, dy, attrs: { axis } }, _wrt, dx) {
    const [Y, G, D] = [y!.data, dy.data, dx.data];
    forEachLane(y!.shape, axis, (base, n, stride) => {
      let total = 0;
      for (let j = 0; j < n; j++) total += G[base + j * stride];
      for (let j = 0; j < n; j++) D[base + j * stride] = G[base + j * stride] - Math.exp(Y[base + j * stride]) * total; // softmax = exp(y)
    });
  },
  gpu: {
    fwd: ([x], _y, { axis }) => laneDispatch(x.shape, axis),
    vjp: (_x, y, _wrt, _dx, { axis }) => laneDispatch(y.shape, axis),
  },
  test: {
    cases: axisCases(),
    golden: [
      { inputs: [[0, Math.log(3)]], attrs: { axis: 0 }, y: [Math.log(0.25), Math.log(0.75)] },
      { inputs: [[[1000, 1000]]], attrs: { axis: 1 }, y: [[-Math.LN2, -Math.LN2]] },
    ],
    // torch.log_softmax: x - max - log sum exp(x - max): NaN throughout a lane with +Inf, NaN, or only
    // -Inf; a -Inf beside finite values stays -Inf. dx = dy - exp(y) sum(dy), no masking.
    special: [
      { inputs: [[[Infinity, 1]]], attrs: axis1, y: [[NaN, NaN]], dy: [[1, 2]], dx: [[[NaN, NaN]]] },
      { inputs: [[[-Infinity, -Infinity]]], attrs: axis1, y: [[NaN, NaN]], dy: [[1, 2]], dx: [[[NaN, NaN]]] },
      { inputs: [[[NaN, 1]]], attrs: axis1, y: [[NaN, NaN]], dy: [[1, 2]], dx: [[[NaN, NaN]]] },
      { inputs: [[[-Infinity, 1]]], attrs: axis1, y: [[-Infinity, 0]], dy: [[1, 2]], dx: [[[1, -1]]] },
      { inputs: [[[-Infinity, 1]]], attrs: axis1, y: [[-Infinity, 0]], dy: [[NaN, 1]], dx: [[[NaN, NaN]]] },
      { inputs: [[[-Infinity, 1]]], attrs: axis1, y: [[-Infinity, 0]], dy: [[Infinity, 1]], dx: [[[NaN, -Infinity]]] },
      { inputs: [[[-0, 0]]], attrs: axis1, y: [[-Math.LN2, -Math.LN2]], dy: [[1, 3]], dx: [[[-1, 1]]] },
    ],
  },
} satisfies OpSpec<AxisAttrs>);
