// Builds one benchmark's inputs on the current device and times its kernels: an op's forward
// (apply + realize), its VJPs (vjpOf + realize, with y and dy already computed), an update's step.
import { applyUpdates } from '../../src/executor.ts';
import { apply, applyVjp as vjpOf } from '../../src/tensor.ts';
import { fromValues, type Tensor } from '../../src/tensor.ts';
import { sizeOf } from '../../src/shape.ts';
import { time } from '../pages/common.ts';
import { cotangent, inputValues, type Bench, type Sized } from './cases.ts';

/** A sample lasts at least this long on the CPU: the browser's timer ticks in 0.1 ms steps. */
export const MIN_SAMPLE_MS = 2;

export interface Prepared {
  /** One run of each kernel, by label: records the node and realizes it (results freed as it goes). */
  readonly runs: ReadonlyMap<string, () => void>;
  /** Frees every value made here (GPU buffers go back to the pool now, not at garbage collection). */
  dispose(): void;
}

/** Uploads the inputs (and, for VJPs, computes y and uploads dy) on the current device. */
export function prepare(bench: Bench, c: Sized, seed: number): Prepared {
  const values = inputValues(bench, c, seed);
  const made: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => (made.push(t), t);
  const runs = new Map<string, () => void>();
  const results: (() => void)[] = [];
  const fresh = (make: () => Tensor) => {
    let last: Tensor | null = null;
    results.push(() => free(last));
    return () => {
      free(last); // the previous run's result, computed and awaited by now: its buffer is reused
      last = make().realize();
    };
  };

  if (bench.kind === 'update') {
    const n = c.size;
    const param = keep(fromValues(values[0], [n]));
    const grad = keep(fromValues(cotangent(n, seed + 1), [n]));
    const state = bench.spec.state.map(() => keep(fromValues(new Float32Array(n), [n])));
    runs.set('step', () => applyUpdates([{ spec: bench.spec, hyper: bench.hyper, param: param.value, grad: grad.value, state: state.map((s) => s.value) }]));
  } else {
    const { op } = bench;
    const inputs = values.map((v, i) => keep(fromValues(v, c.shapes[i], op.inputs[i].differentiable)));
    // What every VJP reads, ready before timing: y computed (kept; it requires grad, so its node
    // stays for vjpOf) and a random dy uploaded.
    let saved: { y: Tensor; dy: Tensor } | undefined;
    const forVjp = () => {
      if (saved) return saved;
      const y = keep(apply(op, inputs, c.attrs).keep().realize());
      return (saved = { y, dy: keep(fromValues(cotangent(sizeOf(y.shape), seed + 2), y.shape)) });
    };
    for (const k of bench.kernels) {
      const wrt = k.wrt;
      if (wrt === undefined)
        runs.set(
          k.label,
          fresh(() => apply(op, inputs, c.attrs)),
        );
      else {
        const { y, dy } = forVjp();
        runs.set(
          k.label,
          fresh(() => vjpOf(y, wrt, dy)),
        );
      }
    }
  }
  return {
    runs,
    dispose: () => {
      results.forEach((f) => f());
      made.forEach(free);
    },
  };
}

function free(t: Tensor | null): void {
  t?.value.release();
}

/**
 * Times one kernel with common.ts's time(): warm-up runs untimed, then the median (and fastest) of
 * `repeats` samples, each awaited with cr.sync(). On the CPU a fast op runs `batch` times back to
 * back per sample (so a sample lasts MIN_SAMPLE_MS or more) and the time is divided by `batch`; on
 * WebGPU a sample is always one run: one submit, timed until the GPU has finished.
 */
export async function timeKernel(
  run: () => void,
  device: 'cpu' | 'webgpu',
  opts: { warmup: number; repeats: number },
): Promise<{ median: number; min: number; batch: number }> {
  let batch = 1;
  if (device === 'cpu') {
    const first = performance.now();
    run(); // untimed: the JIT's first pass
    if (performance.now() - first < 10 * MIN_SAMPLE_MS) {
      let count = 0;
      const t0 = performance.now();
      do {
        run();
        count++;
      } while (performance.now() - t0 < MIN_SAMPLE_MS);
      batch = Math.ceil((MIN_SAMPLE_MS * count) / (performance.now() - t0));
    }
  }
  const sample = () => {
    for (let i = 0; i < batch; i++) run();
  };
  let { median, min } = await time(sample, opts);
  // Still under the timer's tick (the JIT sped the op up after calibrating): ten times the runs.
  for (let tries = 0; device === 'cpu' && median === 0 && tries < 3; tries++) {
    batch *= 10;
    ({ median, min } = await time(sample, opts));
  }
  return { median: median / batch, min: min / batch, batch };
}
