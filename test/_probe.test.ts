import { it, beforeAll, afterAll } from 'vitest';
import * as cr from '../src/index.ts';
import { apply } from '../src/graph.ts';
import { add } from '../src/ops/add.ts';
import { fromValues } from '../src/tensor.ts';
import { randomInputs, toFloat32 } from './helpers.ts';
beforeAll(async () => { await cr.init({ device: 'webgpu' }); });
afterAll(() => cr.dispose());
it('probe', async () => {
  const args = toFloat32(randomInputs(add, add.test.cases[0], 5000));
  console.log('ARGS', args.map(a => Array.from(a.data)));
  const x = args.map((a) => fromValues(a.data, a.shape, true));
  const y = apply(add, x, {});
  console.log('PRE');
  y.realize();
  console.log('REALIZED');
  console.log('fwd', await y.data());
});
