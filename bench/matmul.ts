/**
 * Matmul throughput on the current device: y = a @ b for square sizes, timed from encode to the
 * GPU's completion (cr.sync), median of repeats after one warm-up run.
 *
 *   npm run bench:matmul                       # WebGPU (Dawn in Node), sizes 256 512 1024
 *   npm run bench:matmul -- --device cpu --sizes 256,512 --repeats 5
 */
import * as cr from '../src/node.ts';
import { median, option } from './report.ts';

async function main(): Promise<void> {
  const device = option('device', 'webgpu') as cr.DeviceName;
  const sizes = option('sizes', '256,512,1024').split(',').map(Number);
  const repeats = Number(option('repeats', '5'));
  const info = await cr.init({ device });
  console.log(`device: ${info.description}`);
  console.log('| size | median ms | GFLOP/s |\n|---|---|---|');
  const rows = [];
  for (const n of sizes) {
    const a = cr.randn([n, n], { seed: 1 });
    const b = cr.randn([n, n], { seed: 2 });
    const times: number[] = [];
    for (let r = 0; r <= repeats; r++) {
      const t0 = performance.now();
      a.matmul(b).realize();
      await cr.sync();
      if (r > 0) times.push(performance.now() - t0); // run 0 compiles the pipeline: excluded
    }
    const ms = median(times);
    const gflops = (2 * n ** 3) / (ms * 1e6);
    rows.push({ size: n, ms: Number(ms.toFixed(2)), gflops: Number(gflops.toFixed(2)) });
    console.log(`| ${n} | ${ms.toFixed(2)} | ${gflops.toFixed(2)} |`);
  }
  console.log(JSON.stringify({ bench: 'matmul', device: info.device, adapter: info.description, rows }));
  cr.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
