// Memory comes back: scalar constants pin nothing, the GPU pool gives idle memory back past its
// budget, dispose() frees at once, cr.memory() says which line holds what, and a failed plan leaves
// nothing behind that fails the next steps.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as cr from 'chainrule';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchMemory } from '../../bench/memory.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage and lets finalizers (which free GPU buffers) run. */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Bytes live tensors made by this file hold on `device`. */
function bytesFromHere(device: string): number {
  return cr
    .memory()
    .byOrigin.filter((g) => g.device === device && g.origin.includes('memory.test.ts'))
    .reduce((sum, g) => sum + g.bytes, 0);
}

const MiB = 2 ** 20;

describe.each(['cpu', 'webgpu'] as const)('on %s', (device) => {
  beforeAll(async () => {
    await cr.init({ device });
  });
  afterAll(() => cr.dispose());

  it('numbers in ops (cached scalar constants) do not keep the tensors they multiplied alive', async () => {
    await collect();
    const before = bytesFromHere(device);
    for (let k = 0; k < 40; k++) {
      const x = cr.randn([512, 1024], { seed: k }); // 2 MiB each: 80 MiB if the constants held them
      await x
        .mul(k + 0.25)
        .sum()
        .data();
    }
    await collect();
    expect(bytesFromHere(device) - before).toBeLessThanOrEqual(2 * MiB); // the last x may still be on the stack
  });

  it('dispose() frees the value at once, and any later use throws an error naming the call', async () => {
    await collect();
    const x = cr.randn([256, 1024], { seed: 1 });
    await x.data();
    expect(bytesFromHere(device)).toBeGreaterThanOrEqual(MiB);
    x.dispose();
    expect(bytesFromHere(device)).toBe(0);
    expect(() => x.add(1)).toThrow(/^add: Tensor\(float32 \[256,1024\]\) \(made at \S*memory\.test\.ts:\d+:\d+\) was disposed; it cannot be used any more/);
    await expect(x.data()).rejects.toThrow(/^data: Tensor\(float32 \[256,1024\]\) .* was disposed/);
    expect(() => x.sum().backward()).toThrow(/^sum: .* was disposed/);
    x.dispose(); // twice is fine
  });

  it('dispose() of a value a pending computation reads frees it after that computation', async () => {
    const x = cr.randn([64, 64], { seed: 2 });
    const y = x.mul(2);
    x.dispose();
    expect(() => x.mul(3)).toThrow(/was disposed/);
    expect((await y.data())[0]).toBeCloseTo((await cr.randn([64, 64], { seed: 2 }).data())[0] * 2, 5);
    expect(x.value.storage).toBeNull();
  });

  it('cr.memory() groups live tensors by the line that made them, largest first', async () => {
    const big = cr.zeros([1024, 256]).realize(); // 1 MiB
    const small = cr.zeros([8]).realize();
    const report = cr.memory();
    const mine = report.byOrigin.filter((g) => g.origin.includes('memory.test.ts') && g.device === device);
    expect(mine[0].bytes).toBe(MiB);
    expect(mine[0].origin).toMatch(/memory\.test\.ts:\d+:\d+$/);
    expect(mine.some((g) => g.bytes === 32)).toBe(true);
    expect(report.byOrigin.map((g) => g.bytes)).toEqual([...report.byOrigin.map((g) => g.bytes)].sort((a, b) => b - a));
    big.dispose();
    small.dispose();
  });

  it('a training run keeps live and pooled memory flat (bench/memory.ts, short)', async () => {
    const samples = await watchMemory(300, 100);
    // From step 200 to 300 nothing grows: a leak of one tensor a step would add 100. A few values
    // the collector has not finalized yet may come and go (a busy machine delays finalizers).
    const [first, last] = [samples[1], samples[2]];
    const slack = { liveTensors: 8, liveBytes: 32 * 1024, pooledBytes: 256 * 1024 };
    for (const key of ['liveBytes', 'liveTensors', 'pooledBytes'] as const) {
      expect(last[key] - first[key], `${key}: ${samples.map((s) => s[key]).join(', ')}`).toBeLessThanOrEqual(slack[key]);
    }
  });

  it('a step that fails (an out-of-range label) leaves no state behind: the next steps run', async () => {
    const model = new cr.nn.MLP([4, 8, 3], { seed: 0 });
    const opt = new cr.optim.SGD(model.parameters(), { lr: 0.1 });
    const x = cr.randn([6, 4], { seed: 3 });
    const step = (labels: number[]) => {
      // Labels made on the device by an op, so no graph-build check sees their values.
      const y = cr.tensor(labels, { dtype: 'int32' }).gather([0, 1, 2, 3, 4, 5]);
      const loss = cr.nn.softmaxCrossEntropy(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return loss;
    };
    let failed: unknown;
    try {
      await step([0, 1, 2, 0, 1, 7]).data();
    } catch (e) {
      failed = e;
    }
    expect(String(failed)).toMatch(/softmax_cross_entropy: label 7 at index 5 is out of range for 3 classes/);
    for (let i = 0; i < 5; i++) expect(Number.isFinite(await step([0, 1, 2, 0, 1, 2]).item())).toBe(true);
  });
});

describe('the WebGPU buffer pool', () => {
  beforeAll(async () => {
    await cr.init({ device: 'webgpu' });
  });
  afterAll(() => cr.dispose());

  it('gives idle memory back past its budget (default max(64 MiB, live bytes))', async () => {
    for (let mb = 1; mb <= 24; mb++) {
      const x = cr.zeros([mb * 256, 1024]); // mb MiB, uploaded to a buffer of its own size
      await cr.sync();
      x.dispose();
    }
    await cr.sync();
    const { pooledBytes, liveBytes } = cr.memory();
    expect(pooledBytes).toBeLessThanOrEqual(Math.max(64 * MiB, liveBytes));
  });

  it('keeps no more than maxPoolBytes idle when set', async () => {
    await cr.init({ device: 'webgpu', maxPoolBytes: 4 * MiB });
    for (let mb = 1; mb <= 8; mb++) {
      const x = cr.zeros([mb * 256, 1024]);
      await cr.sync();
      x.dispose();
    }
    await cr.sync();
    expect(cr.memory().pooledBytes).toBeLessThanOrEqual(4 * MiB);
    await expect(cr.init({ maxPoolBytes: -1 })).rejects.toThrow(/^init: maxPoolBytes must be a number of bytes >= 0, got -1/);
  });

  it('a tensor from a released device is an error naming the call, not a crash', async () => {
    const x = cr.ones([3]);
    await x.data();
    await cr.init({ device: 'webgpu' }); // releases the device x lives on
    expect(() => x.add(1)).toThrow(/^add: Tensor\(float32 \[3\]\) .*lived on a WebGPU device that cr\.dispose\(\) or a later cr\.init\(\) released/);
    await expect(x.data()).rejects.toThrow(/^data: .*lived on a WebGPU device/);
    const y = cr.ones([3]);
    cr.dispose();
    await expect(y.data()).rejects.toThrow(/^data: .*lived on a WebGPU device that cr\.dispose\(\)/);
  });
});
