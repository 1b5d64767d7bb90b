// Reads keep their order: a value read (data(), stateDict()) is the value at the moment of the call,
// whatever steps follow before the promise resolves; backward() through a value an optimizer has
// since changed in place throws instead of differentiating at the new value.
import * as cr from 'chainrule';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe.each(['cpu', 'webgpu'] as const)('on %s', (device) => {
  beforeAll(async () => {
    await cr.init({ device });
  });
  afterAll(() => cr.dispose());

  const setup = () => {
    const model = new cr.nn.MLP([3, 4, 2], { seed: 1 });
    const opt = new cr.optim.SGD(model.parameters(), { lr: 0.5, momentum: 0.9 });
    const x = cr.randn([5, 3], { seed: 2 });
    const y = cr.tensor([0, 1, 0, 1, 1], { dtype: 'int32' });
    const step = () => {
      const loss = cr.nn.softmaxCrossEntropy(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return loss;
    };
    return { model, opt, step };
  };

  it('data() called before opt.step() resolves to the values before the step', async () => {
    const { model, step } = setup();
    step();
    const [w, b] = model.parameters();
    const before = [w.data(), b.data()]; // not awaited yet: two more steps are recorded first
    step();
    step();
    const now = [await w.data(), await b.data()];
    const then = await Promise.all(before);
    expect(Array.from(then[0])).not.toEqual(Array.from(now[0]));
    expect(Array.from(then[1])).not.toEqual(Array.from(now[1]));
    // The values of that moment, as a fresh model stepped once has them.
    const again = setup();
    again.step();
    const [w1, b1] = again.model.parameters();
    expect(Array.from(then[0])).toEqual(Array.from(await w1.data()));
    expect(Array.from(then[1])).toEqual(Array.from(await b1.data()));
  });

  it('stateDict() is a snapshot: steps after it do not change what it holds', async () => {
    const { model, step } = setup();
    step();
    const state = model.stateDict();
    const snapshot = Object.fromEntries(await Promise.all(Object.entries(model.stateDict()).map(async ([k, t]) => [k, Array.from(await t.data())])));
    step();
    step();
    for (const [name, t] of Object.entries(state)) expect(Array.from(await t.data()), name).toEqual(snapshot[name]);
    const live = model.stateDict();
    expect(Array.from(await live['0.bias'].data())).not.toEqual(snapshot['0.bias']);
  });

  it('saveSafetensors(stateDict()) started before more steps writes the values of that moment', async () => {
    const { model, step } = setup();
    step();
    const want = cr.io.encodeSafetensors(
      Object.fromEntries(
        await Promise.all(Object.entries(model.stateDict()).map(async ([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape], data: await t.data() }])),
      ),
    );
    const saving = cr.io.saveSafetensors(model.stateDict());
    step();
    step();
    expect(Array.from(await saving)).toEqual(Array.from(want));
  });

  it('backward() through a parameter changed in place since the loss was recorded throws, naming the parameter', () => {
    const { model, opt } = setup();
    const x = cr.randn([5, 3], { seed: 2 });
    const y = cr.tensor([0, 1, 0, 1, 1], { dtype: 'int32' });
    const first = cr.nn.softmaxCrossEntropy(model.forward(x), y);
    first.backward();
    opt.step(); // rewrites the weights that `stale` was computed from
    const stale = cr.nn.softmaxCrossEntropy(model.forward(x), y);
    opt.zeroGrad();
    stale.backward(); // recorded after the step: fine
    opt.step();
    expect(() => first.backward()).toThrow(
      /^backward: Tensor\(float32 \[5,2\], requiresGrad\) \(made at \S*order\.test\.ts:\d+:\d+\) \(matmul\) needs Tensor\(float32 \[4,2\], requiresGrad\) \(made at \S*order\.test\.ts:\d+:\d+\) as it was when recorded, but an optimizer step has changed it in place since \(version 0, now 2\)/,
    );
  });
});
