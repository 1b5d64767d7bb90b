// TensorFlow.js on its WebGPU backend: variables, tf.train.sgd(lr).minimize() inside tf.tidy (the
// forward, tf.losses.softmaxCrossEntropy, the gradients and the update; only the returned loss
// survives the tidy, and the page disposes it at the next step). The conv layer and the CNN in
// tf.conv2d and tf.maxPool, which take NHWC inputs and HWIO filters: the shared NCHW / OIHW data is
// permuted once when uploading (and the conv gradients back when read).
//
// Waiting for the GPU: TF.js records kernels into a command encoder and submits every 15
// dispatches or on a read, so "await the queue" alone could miss the unsubmitted tail. tfSync()
// ends the open compute pass, submits the encoder (WebGPUBackend.submitQueue, what a read does
// first) and awaits GPUQueue.onSubmittedWorkDone(): no copy, no readback.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-webgpu';
import { profileKernels, type KernelReport } from './kernel-times.ts';
import { libraries } from './versions.ts';
import {
  CNN,
  CNN_FEATURES,
  CNN_PARAMS,
  LR,
  convOut,
  permute,
  type CnnData,
  type ConvData,
  type ConvRunner,
  type Library,
  type MatmulRunner,
  type MlpData,
  type MlpRunner,
} from './workloads.ts';

/** TF.js's flag for how many dispatches share a compute pass (and a submit): 15 by default. */
const BATCH_FLAG = 'WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE';

let ready: Promise<WebGPUBackend> | null = null;

function start(): Promise<WebGPUBackend> {
  ready ??= (async () => {
    // false when the backend failed to initialise (TF.js prints the reason as a console warning).
    if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not initialise its WebGPU backend (tf.setBackend("webgpu") returned false)');
    await tf.ready();
    if (tf.getBackend() !== 'webgpu') throw new Error(`TF.js is on ${tf.getBackend()}, not webgpu`);
    return tf.backend() as WebGPUBackend;
  })();
  return ready;
}

/** Resolves when the GPU has finished all the work TF.js has recorded so far. */
async function tfSync(): Promise<void> {
  const backend = await start();
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  await backend.queue.onSubmittedWorkDone();
}

const NCHW_TO_NHWC = [0, 2, 3, 1];
const NHWC_TO_NCHW = [0, 3, 1, 2];
const OIHW_TO_HWIO = [2, 3, 1, 0];
const HWIO_TO_OIHW = [3, 2, 0, 1];

/** The tensor counts after each step: equal when the step leaks nothing. */
function leakNote(tensors: number[]): string {
  const [first, last] = [tensors[0], tensors.at(-1)!];
  return last === first ? `no leak: ${last} tensors after every step` : `LEAK: ${first} tensors after the first step, ${last} after the last`;
}

/** SGD steps on `vars` minimizing `lossFn` (the MLP's and the CNN's runners); disposing frees `inputs` too. */
function sgdRunner(vars: readonly tf.Variable[], inputs: tf.Tensor[], lossFn: () => tf.Scalar): MlpRunner {
  const opt = tf.train.sgd(LR);
  let loss: tf.Scalar | null = null;
  const tensors: number[] = [];
  return {
    step() {
      loss?.dispose();
      loss = tf.tidy(() => opt.minimize(lossFn, true, [...vars])!);
      tensors.push(tf.memory().numTensors);
    },
    sync: tfSync,
    loss: async () => (await loss!.data())[0],
    note: () => leakNote(tensors.splice(0)),
    dispose() {
      loss?.dispose();
      tf.dispose([...inputs, ...vars]);
      opt.dispose();
    },
  };
}

export const tfjs: Library = {
  ...libraries.tfjs,

  async mlp(data: MlpData): Promise<MlpRunner> {
    await start();
    const [[D, H, C], B] = [data.sizes, data.batch];
    const x = tf.tensor2d(data.x, [B, D]);
    const y = tf.tensor2d(data.oneHot, [B, C]);
    const vars = [
      tf.variable(tf.tensor2d(data.w1, [D, H]), true, 'w1'),
      tf.variable(tf.tensor1d(data.b1), true, 'b1'),
      tf.variable(tf.tensor2d(data.w2, [H, C]), true, 'w2'),
      tf.variable(tf.tensor1d(data.b2), true, 'b2'),
    ] as const;
    const [w1, b1, w2, b2] = vars;
    return sgdRunner(vars, [x, y], () => {
      const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
      const logits = tf.add(tf.matMul(h, w2), b2);
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar; // mean over the batch
    });
  },

  async conv(data: ConvData): Promise<ConvRunner> {
    await start();
    const { batch: N, channels: C, outChannels: OC, size: S, kernel: K, padding } = data;
    const O = convOut(data);
    const x = tf.tensor4d(permute(data.x, [N, C, S, S], NCHW_TO_NHWC), [N, S, S, C]);
    const w = tf.tensor4d(permute(data.w, [OC, C, K, K], OIHW_TO_HWIO), [K, K, C, OC]);
    const b = tf.tensor1d(data.b);
    const g = tf.tensor4d(permute(data.g, [N, OC, O, O], NCHW_TO_NHWC), [N, O, O, OC]);
    // The loss and its gradients with respect to all three inputs (x, w, b).
    const f = tf.valueAndGrads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
      tf.sum(tf.mul(tf.add(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 1, padding), bi), g)),
    );
    let out: tf.Tensor[] = [];
    return {
      run() {
        tf.dispose(out);
        out = tf.tidy(() => {
          const { value, grads } = f([x, w, b]);
          return [value, ...grads];
        });
      },
      sync: tfSync,
      async result() {
        const [l, dx, dw, db] = (await Promise.all(out.map((t) => t.data()))) as Float32Array[];
        return {
          loss: l[0],
          dx: permute(dx, [N, S, S, C], NHWC_TO_NCHW),
          dw: permute(dw, [K, K, C, OC], HWIO_TO_OIHW),
          db,
        };
      },
      dispose() {
        tf.dispose([...out, x, w, b, g]);
      },
    };
  },

  async cnn(data: CnnData): Promise<MlpRunner> {
    await start();
    const {
      batch: B,
      size: S,
      kernel: K,
      channels: [C0, C1, C2],
      hidden: H,
      classes: L,
    } = CNN;
    // One input channel: NCHW and NHWC hold the same numbers in the same order.
    const x = tf.tensor4d(data.x, [B, S, S, C0]);
    const y = tf.tensor2d(data.oneHot, [B, L]);
    // fc1's rows follow the NCHW flatten (channel, row, column); TF.js flattens NHWC (row, column,
    // channel): its rows permuted once, so the two compute the same function.
    const side = Math.sqrt(CNN_FEATURES / C2);
    const f1w = permute(data.f1w, [C2, side, side, H], [1, 2, 0, 3]);
    const vars = [
      tf.variable(tf.tensor4d(permute(data.c1w, CNN_PARAMS.c1w, OIHW_TO_HWIO), [K, K, C0, C1]), true, 'c1w'),
      tf.variable(tf.tensor1d(data.c1b), true, 'c1b'),
      tf.variable(tf.tensor4d(permute(data.c2w, CNN_PARAMS.c2w, OIHW_TO_HWIO), [K, K, C1, C2]), true, 'c2w'),
      tf.variable(tf.tensor1d(data.c2b), true, 'c2b'),
      tf.variable(tf.tensor2d(f1w, [CNN_FEATURES, H]), true, 'f1w'),
      tf.variable(tf.tensor1d(data.f1b), true, 'f1b'),
      tf.variable(tf.tensor2d(data.f2w, [H, L]), true, 'f2w'),
      tf.variable(tf.tensor1d(data.f2b), true, 'f2b'),
    ] as const;
    const [c1w, c1b, c2w, c2b, fw1, fb1, fw2, fb2] = vars;
    return sgdRunner(vars, [x, y], () => {
      let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, c1w as tf.Tensor4D, 1, 'valid'), c1b)) as tf.Tensor4D, 2, 2, 'valid');
      h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, c2w as tf.Tensor4D, 1, 'valid'), c2b)) as tf.Tensor4D, 2, 2, 'valid');
      const f = tf.relu(tf.add(tf.matMul(tf.reshape(h, [B, CNN_FEATURES]), fw1), fb1));
      return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(f, fw2), fb2)) as tf.Scalar;
    });
  },

  async matmul(n: number, a: Float32Array, b: Float32Array): Promise<MatmulRunner> {
    await start();
    const ta = tf.tensor2d(a, [n, n]);
    const tb = tf.tensor2d(b, [n, n]);
    let out: tf.Tensor | null = null;
    return {
      run() {
        out?.dispose();
        out = tf.matMul(ta, tb);
      },
      sync: tfSync,
      dispose() {
        out?.dispose();
        tf.dispose([ta, tb]);
      },
    };
  },

  /** Profiled with one dispatch per pass (TF.js's own flag), so that each pass times one kernel. */
  async profile(run: () => void, sync: () => Promise<void>, steps: number): Promise<KernelReport> {
    const batch = tf.env().get(BATCH_FLAG);
    tf.env().set(BATCH_FLAG, 1);
    try {
      return await profileKernels(run, sync, steps, `TF.js with ${BATCH_FLAG} = 1 while profiling (${batch} in the timed runs)`);
    } finally {
      tf.env().set(BATCH_FLAG, batch);
    }
  },
};
