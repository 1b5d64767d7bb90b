// TensorFlow.js on its WebGPU backend: variables, tf.train.sgd(lr).minimize() inside tf.tidy (the
// forward, tf.losses.softmaxCrossEntropy, the gradients and the update; only the returned loss
// survives the tidy, and the page disposes it at the next step).
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
import { LR, type Library, type MatmulRunner, type MlpData, type MlpRunner } from './workloads.ts';

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
    const opt = tf.train.sgd(LR);
    const lossFn = (): tf.Scalar => {
      const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
      const logits = tf.add(tf.matMul(h, w2), b2);
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar; // mean over the batch
    };
    let loss: tf.Scalar | null = null;
    let tensors: number[] = [];
    return {
      step() {
        loss?.dispose();
        loss = tf.tidy(() => opt.minimize(lossFn, true, [...vars])!);
        tensors.push(tf.memory().numTensors);
      },
      sync: tfSync,
      loss: async () => (await loss!.data())[0],
      note: () => {
        const [first, last] = [tensors[0], tensors.at(-1)!];
        tensors = [];
        return last === first ? `no leak: ${last} tensors after every step` : `LEAK: ${first} tensors after the first step, ${last} after the last`;
      },
      dispose() {
        loss?.dispose();
        tf.dispose([x, y, ...vars]);
        opt.dispose();
      },
    };
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
