// jax-js on its WebGPU backend. The whole SGD step (forward, valueAndGrad, the update) is one
// jit-compiled function of (params, x, y) returning [loss, new params]; arrays follow jax-js's
// ownership rules (every argument is consumed: .ref keeps x and y). Waits with blockUntilReady().
import { blockUntilReady, defaultDevice, init, jit, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import { profileKernels } from './kernel-times.ts';
import { libraries } from './versions.ts';
import { LR, type Library, type MatmulRunner, type MlpData, type MlpRunner } from './workloads.ts';

type Params = { w1: np.Array; b1: np.Array; w2: np.Array; b2: np.Array };

let ready: Promise<void> | null = null;

/** Starts jax-js's WebGPU backend once and makes it the default device; throws if it has none. */
function start(): Promise<void> {
  ready ??= (async () => {
    const devices = await init('webgpu');
    if (!devices.includes('webgpu')) throw new Error(`jax-js found no WebGPU device (it has: ${devices.join(', ') || 'none'})`);
    defaultDevice('webgpu');
  })();
  return ready;
}

function lossFn(p: Params, x: np.Array, y: np.Array): np.Array {
  const batch = x.shape[0];
  const h = nn.relu(np.matmul(x, p.w1).add(p.b1));
  const logits = np.matmul(h, p.w2).add(p.b2);
  // Mean over the batch of -sum(onehot * logSoftmax(logits)).
  return nn
    .logSoftmax(logits)
    .mul(y)
    .sum()
    .mul(-1 / batch);
}

const sgdStep = (p: Params, x: np.Array, y: np.Array): [np.Array, Params] => {
  const [loss, grads] = valueAndGrad(lossFn)(tree.ref(p), x, y);
  const next = tree.map((w: np.Array, g: np.Array) => w.sub(g.mul(LR)), p, grads) as Params;
  return [loss, next];
};

export const jax: Library = {
  ...libraries.jax,

  async mlp(data: MlpData): Promise<MlpRunner> {
    await start();
    const [[D, H, C], B] = [data.sizes, data.batch];
    const x = np.array(data.x, { shape: [B, D] });
    const y = np.array(data.oneHot, { shape: [B, C] });
    let params: Params = {
      w1: np.array(data.w1, { shape: [D, H] }),
      b1: np.array(data.b1, { shape: [H] }),
      w2: np.array(data.w2, { shape: [H, C] }),
      b2: np.array(data.b2, { shape: [C] }),
    };
    await blockUntilReady([x, y, params]);
    const step = jit(sgdStep);
    let loss: np.Array | null = null;
    return {
      step() {
        loss?.dispose();
        [loss, params] = step(params, x.ref, y.ref);
      },
      sync: async () => void (await blockUntilReady([loss, params])),
      loss: async () => (await loss!.ref.data())[0],
      dispose() {
        loss?.dispose();
        tree.dispose([x, y, params]);
        step.dispose();
      },
    };
  },

  async matmul(n: number, a: Float32Array, b: Float32Array): Promise<MatmulRunner> {
    await start();
    const ta = np.array(a, { shape: [n, n] });
    const tb = np.array(b, { shape: [n, n] });
    await blockUntilReady([ta, tb]);
    let out: np.Array | null = null;
    return {
      run() {
        out?.dispose();
        out = np.matmul(ta.ref, tb.ref);
      },
      sync: async () => void (await out!.blockUntilReady()),
      dispose() {
        out?.dispose();
        ta.dispose();
        tb.dispose();
      },
    };
  },

  profile: (run, sync, steps) => profileKernels(run, sync, steps),
};
