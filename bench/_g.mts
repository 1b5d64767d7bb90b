import * as cr from '../src/index.ts';
import { apply, vjpOf } from '../src/graph.ts';
import { add } from '../src/ops/add.ts';
import { fromValues } from '../src/tensor.ts';
await cr.init({ device: 'webgpu' });
for (let it = 0; it < 300; it++) {
  const a = fromValues(Float32Array.of(1,2,3,4,5), [5], true);
  const b = fromValues(Float32Array.of(1,2,3,4,5), [5], true);
  const y = apply(add, [a, b], {});
  await y.data();
  const dx = vjpOf(y, 0, fromValues(Float32Array.of(1,1,1,1,1), [5]));
  await dx.data();
  if (it % 10 === 0) (globalThis as any).gc?.();
}
console.log('done', cr.stats());
cr.dispose();
