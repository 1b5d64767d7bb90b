import * as cr from '../src/index.ts';
import { vjpOf } from '../src/graph.ts';
await cr.init({ device: 'webgpu' });
const time = async (label: string, f: () => cr.Tensor) => {
  const ts: number[] = [];
  for (let i = 0; i < 6; i++) { const t0 = performance.now(); f().realize(); await cr.sync(); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b); console.log(label.padEnd(40), ts[2].toFixed(1), 'ms');
};
const x = cr.randn([128, 784], { seed: 1 }); const w1 = cr.randn([784, 256], { seed: 2, requiresGrad: true });
const dh = cr.randn([128, 256], { seed: 3 });
await time('x @ W1 [128x784x256]', () => x.matmul(w1));
await time('dW1 = x^T @ dh', () => { const y = x.matmul(w1); return vjpOf(y, 1, dh); });
await time('dx = dh @ W1^T', () => { const y = x.matmul(w1); return vjpOf(y, 0, dh); });
await time('add bias [128,256]+[256]', () => dh.add(cr.zeros([256])));
await time('relu [128,256]', () => dh.relu());
await time('sum axis0 [128,256]', () => dh.sum(0));
await time('empty plan (1 tiny op)', () => cr.tensor([1]).add(1));
cr.dispose();
