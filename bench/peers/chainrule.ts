// chainrule on the page's WebGPU device (common.ts's start() has called cr.init): cr.nn.MLP loaded
// with the shared weights, cr.softmaxCrossEntropy, loss.backward(), cr.optim.SGD; waits with
// cr.sync(). Its kernels are timed by its own profiler, cr.profile().
import * as cr from 'chainrule';
import { kernelReport, type KernelReport } from './kernel-times.ts';
import { libraries } from './versions.ts';
import { LR, transpose, type Library, type MatmulRunner, type MlpData, type MlpRunner } from './workloads.ts';

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
    const params = model.parameters();
    cr.realize(params);
    await cr.sync();
    const opt = new cr.optim.SGD(params, { lr: LR });
    let loss: cr.Tensor | null = null;
    return {
      step() {
        loss = cr.softmaxCrossEntropy(model.forward(x), labels);
        opt.zeroGrad();
        loss.backward();
        opt.step(); // forward, backward and update: one plan, one submit
      },
      sync: () => cr.sync(),
      loss: () => loss!.item(),
      dispose() {},
    };
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
