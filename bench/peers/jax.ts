// jax-js on its WebGPU backend. The whole SGD step (forward, valueAndGrad, the update) is one
// jit-compiled function of (params, x, y) returning [loss, new params]; arrays follow jax-js's
// ownership rules (every argument is consumed: .ref keeps x and y). Waits with blockUntilReady().
// The conv layer and the CNN: lax.conv (NCHW, OIHW: the shared layouts), max pooling as a reshape
// to 2x2 windows and a max over them, the same jit(valueAndGrad) structure.
import { blockUntilReady, defaultDevice, init, jit, lax, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import { profileKernels } from './kernel-times.ts';
import { libraries } from './versions.ts';
import {
  CNN,
  CNN_FEATURES,
  LR,
  cnnParams,
  convOut,
  type CnnData,
  type ConvData,
  type ConvRunner,
  type Library,
  type MatmulRunner,
  type MlpData,
  type MlpRunner,
} from './workloads.ts';

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

type ConvInputs = { x: np.Array; w: np.Array; b: np.Array };

/** y = conv(x, w) + b, with padding on every side (a bias [OC] broadcast over [N, OC, OH, OW]). */
function conv2d(x: np.Array, w: np.Array, b: np.Array, padding: number): np.Array {
  const pad: [number, number][] = [
    [padding, padding],
    [padding, padding],
  ];
  return lax.conv(x, w, [1, 1], pad).add(b.reshape([-1, 1, 1]));
}

/** The conv workload's loss: sum(conv(x, w) + b) * g), whose gradient is (dx, dw, db) for upstream g. */
const convLoss = (p: ConvInputs, g: np.Array, padding: number): np.Array => conv2d(p.x, p.w, p.b, padding).mul(g).sum();

/** 2x2 max pooling, stride 2, on NCHW: a reshape to the windows and a max over them. */
function maxPool2(x: np.Array): np.Array {
  const [n, c, h, w] = x.shape;
  return x.reshape([n, c, h / 2, 2, w / 2, 2]).max([3, 5]);
}

type CnnParams = { c1w: np.Array; c1b: np.Array; c2w: np.Array; c2b: np.Array; f1w: np.Array; f1b: np.Array; f2w: np.Array; f2b: np.Array };

function cnnLoss(p: CnnParams, x: np.Array, y: np.Array): np.Array {
  const batch = x.shape[0];
  let h = maxPool2(nn.relu(conv2d(x, p.c1w, p.c1b, 0)));
  h = maxPool2(nn.relu(conv2d(h, p.c2w, p.c2b, 0)));
  h = nn.relu(np.matmul(h.reshape([batch, CNN_FEATURES]), p.f1w).add(p.f1b));
  const logits = np.matmul(h, p.f2w).add(p.f2b);
  return nn
    .logSoftmax(logits)
    .mul(y)
    .sum()
    .mul(-1 / batch);
}

const cnnStep = (p: CnnParams, x: np.Array, y: np.Array): [np.Array, CnnParams] => {
  const [loss, grads] = valueAndGrad(cnnLoss)(tree.ref(p), x, y);
  const next = tree.map((w: np.Array, g: np.Array) => w.sub(g.mul(LR)), p, grads) as CnnParams;
  return [loss, next];
};

/** A jitted SGD step (params, x, y) -> [loss, new params] run again and again: the MLP's and the CNN's runners. */
async function sgdRunner<P extends Params | CnnParams>(
  step: ((p: P, x: np.Array, y: np.Array) => [np.Array, P]) & { dispose(): void },
  initial: P,
  x: np.Array,
  y: np.Array,
): Promise<MlpRunner> {
  let params = initial;
  await blockUntilReady([x, y, params]);
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
}

export const jax: Library = {
  ...libraries.jax,

  async mlp(data: MlpData): Promise<MlpRunner> {
    await start();
    const [[D, H, C], B] = [data.sizes, data.batch];
    const x = np.array(data.x, { shape: [B, D] });
    const y = np.array(data.oneHot, { shape: [B, C] });
    const params: Params = {
      w1: np.array(data.w1, { shape: [D, H] }),
      b1: np.array(data.b1, { shape: [H] }),
      w2: np.array(data.w2, { shape: [H, C] }),
      b2: np.array(data.b2, { shape: [C] }),
    };
    return sgdRunner(jit(sgdStep), params, x, y);
  },

  async conv(data: ConvData): Promise<ConvRunner> {
    await start();
    const { batch: N, channels: C, outChannels: OC, size: S, kernel: K, padding } = data;
    const O = convOut(data);
    const inputs: ConvInputs = {
      x: np.array(data.x, { shape: [N, C, S, S] }),
      w: np.array(data.w, { shape: [OC, C, K, K] }),
      b: np.array(data.b, { shape: [OC] }),
    };
    const g = np.array(data.g, { shape: [N, OC, O, O] });
    await blockUntilReady([inputs, g]);
    // valueAndGrad differentiates with respect to the first argument, the inputs; not g.
    const f = jit((p: ConvInputs, up: np.Array) => valueAndGrad((q: ConvInputs, u: np.Array) => convLoss(q, u, padding))(p, up));
    let out: [np.Array, ConvInputs] | null = null;
    return {
      run() {
        tree.dispose(out);
        out = f(tree.ref(inputs), g.ref);
      },
      sync: async () => void (await blockUntilReady(out)),
      async result() {
        const [loss, d] = out!;
        const [l, dx, dw, db] = await Promise.all([loss, d.x, d.w, d.b].map((a) => a.ref.data()));
        return { loss: l[0], dx: new Float32Array(dx), dw: new Float32Array(dw), db: new Float32Array(db) };
      },
      dispose() {
        tree.dispose([out, inputs, g]);
        f.dispose();
      },
    };
  },

  async cnn(data: CnnData): Promise<MlpRunner> {
    await start();
    const {
      batch: B,
      size: S,
      channels: [C0],
      classes: L,
    } = CNN;
    const x = np.array(data.x, { shape: [B, C0, S, S] });
    const y = np.array(data.oneHot, { shape: [B, L] });
    const params: CnnParams = cnnParams(data, (values, shape) => np.array(values, { shape }));
    return sgdRunner(jit(cnnStep), params, x, y);
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
