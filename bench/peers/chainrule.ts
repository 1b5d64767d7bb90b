// chainrule on the page's WebGPU device (common.ts's start() has called cr.init): cr.nn.MLP loaded
// with the shared weights, cr.softmaxCrossEntropy, loss.backward(), cr.optim.SGD; waits with
// cr.sync(). The conv layer and the CNN in cr.conv2d, cr.maxPool2d and flatten (NCHW, weights
// OIHW: the shared data's layouts). Its kernels are timed by its own profiler, cr.profile().
import * as cr from 'chainrule';
import { kernelReport, type KernelReport } from './kernel-times.ts';
import { libraries } from './versions.ts';
import {
  CNN,
  LR,
  cnnParams,
  convOut,
  transpose,
  type CnnData,
  type ConvData,
  type ConvRunner,
  type Library,
  type MatmulRunner,
  type MlpData,
  type MlpRunner,
} from './workloads.ts';

/** SGD steps on `params` (uploaded before the first) minimizing `lossOf()`: the MLP's and the CNN's runners. */
async function sgdRunner(params: cr.Tensor[], lossOf: () => cr.Tensor): Promise<MlpRunner> {
  cr.realize(params);
  await cr.sync();
  const opt = new cr.optim.SGD(params, { lr: LR });
  let loss: cr.Tensor | null = null;
  return {
    step() {
      loss = lossOf();
      opt.zeroGrad();
      loss.backward();
      opt.step(); // forward, backward and update: one plan, one submit
    },
    sync: () => cr.sync(),
    loss: () => loss!.item(),
    dispose() {},
  };
}

export const chainrule: Library = {
  ...libraries.chainrule,

  async mlp(data: MlpData): Promise<MlpRunner> {
    const [[D, H, C], B] = [data.sizes, data.batch];
    const x = cr.tensor(data.x, [B, D]).realize();
    const labels = cr.tensor(data.labels, [B], { dtype: 'int32' }).realize();
    const model = new cr.nn.MLP([D, H, C]);
    // loadStateDict takes PyTorch's layout: weights [out, in].
    model.loadStateDict({
      '0.weight': cr.tensor(transpose(data.w1, D, H), [H, D]),
      '0.bias': cr.tensor(data.b1, [H]),
      '2.weight': cr.tensor(transpose(data.w2, H, C), [C, H]),
      '2.bias': cr.tensor(data.b2, [C]),
    });
    return sgdRunner(model.parameters(), () => cr.softmaxCrossEntropy(model.forward(x), labels));
  },

  async conv(data: ConvData): Promise<ConvRunner> {
    const { batch: N, channels: C, outChannels: OC, size: S, kernel: K, padding } = data;
    const O = convOut(data);
    const x = cr.tensor(data.x, [N, C, S, S], { requiresGrad: true }).realize();
    const w = cr.tensor(data.w, [OC, C, K, K], { requiresGrad: true }).realize();
    const b = cr.tensor(data.b, [OC], { requiresGrad: true }).realize();
    const g = cr.tensor(data.g, [N, OC, O, O]).realize();
    await cr.sync();
    let loss: cr.Tensor | null = null;
    return {
      run() {
        for (const t of [x, w, b]) t.zeroGrad(); // backward() accumulates
        loss = cr.conv2d(x, w, b, { stride: 1, padding }).mul(g).sum();
        loss.backward();
        cr.realize([loss, x.grad!, w.grad!, b.grad!]); // forward and backward: one plan, one submit
      },
      sync: () => cr.sync(),
      async result() {
        const [l, dx, dw, db] = await Promise.all([loss!, x.grad!, w.grad!, b.grad!].map((t) => t.data()));
        return { loss: l[0], dx: Float32Array.from(dx), dw: Float32Array.from(dw), db: Float32Array.from(db) };
      },
      dispose() {},
    };
  },

  async cnn(data: CnnData): Promise<MlpRunner> {
    const {
      batch: B,
      size: S,
      channels: [C0],
    } = CNN;
    const x = cr.tensor(data.x, [B, C0, S, S]).realize();
    const labels = cr.tensor(data.labels, [B], { dtype: 'int32' }).realize();
    const p = cnnParams(data, (values, shape) => cr.tensor(values, shape, { requiresGrad: true }));
    return sgdRunner(Object.values(p), () => {
      let h = cr.maxPool2d(cr.conv2d(x, p.c1w, p.c1b).relu(), { kernelSize: 2 });
      h = cr.maxPool2d(cr.conv2d(h, p.c2w, p.c2b).relu(), { kernelSize: 2 });
      h = h.flatten(1).matmul(p.f1w).add(p.f1b).relu();
      return cr.softmaxCrossEntropy(h.matmul(p.f2w).add(p.f2b), labels);
    });
  },

  async matmul(n: number, a: Float32Array, b: Float32Array): Promise<MatmulRunner> {
    const ta = cr.tensor(a, [n, n]).realize();
    const tb = cr.tensor(b, [n, n]).realize();
    await cr.sync();
    return { run: () => void ta.matmul(tb).realize(), sync: () => cr.sync(), dispose() {} };
  },

  async profile(run: () => void, _sync: () => Promise<void>, steps: number): Promise<KernelReport> {
    const p = await cr.profile(run, { steps, warmup: 0 });
    if (p.kernelMs === null) throw new Error(`cr.profile timed no kernel: ${p.note}`);
    const rows = p.kernels.map((k) => ({ kernel: k.kernel, dispatches: k.calls, workgroups: k.workgroups, ms: k.ms ?? 0 }));
    return kernelReport(`cr.profile: ${p.note}`, steps, p.stepMs, rows);
  },
};
