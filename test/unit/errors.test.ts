import { describe, expect, it } from 'vitest';
import * as cr from 'chainrule';
import { oneHot } from '../../src/ops/one_hot.ts';

// Bad input gets a clear error at graph-build time that names the op and the values, never a wrong number.

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}

describe('errors', () => {
  it('mismatched shapes name the op and both shapes, and the line of the call', () => {
    const e = thrown(() =>
      cr
        .tensor([
          [1, 2, 3],
          [4, 5, 6],
        ])
        .add(cr.tensor([1, 2])),
    );
    expect(e).toBeInstanceOf(cr.OpError);
    expect(e.message).toMatch(/^add: shapes cannot be broadcast \(a \[2,3\], b \[2\]\)/);
    expect(e.message).toMatch(/at .*errors\.test\.ts:\d+:\d+/);
    expect(thrown(() => cr.matmul(cr.zeros([2, 3]), cr.zeros([4, 5]))).message).toMatch(/^matmul: inner dimensions differ \(a \[2,3\] @ b \[4,5\]\)/);
    expect(thrown(() => cr.matmul(cr.zeros([3]), cr.zeros([3, 2]))).message).toMatch(/^matmul: a \[3\] must have at least 2 dimensions/);
    expect(thrown(() => cr.matmul(cr.zeros([2, 2, 3]), cr.zeros([3, 3, 1]))).message).toMatch(
      /^matmul: shapes cannot be broadcast \(a batch \[2\], b batch \[3\]\)/,
    );
  });

  it('bad axes and shapes in shape ops', () => {
    const x = cr.zeros([2, 3]);
    expect(thrown(() => x.sum(2)).message).toMatch(/^sum: axis 2 is out of range for a tensor with 2 dimensions/);
    expect(thrown(() => x.mean([0, -2])).message).toMatch(/^mean: axis \[0,-2\] repeats an axis/);
    expect(thrown(() => x.reshape([4, 2])).message).toMatch(/^reshape: cannot reshape x \[2,3\] \(6 elements\) to \[4,2\]/);
    expect(thrown(() => x.reshape([-1, -1])).message).toMatch(/^reshape: only one dimension can be -1/);
    expect(thrown(() => x.transpose([0, 0])).message).toMatch(/^transpose: axes \[0,0\] are not a permutation/);
    expect(thrown(() => x.softmax(5)).message).toMatch(/^softmax: axis 5 is out of range/);
    expect(thrown(() => cr.zeros([0, 3]).max(0)).message).toMatch(/^max: cannot reduce over an empty axis/);
    expect(thrown(() => x.pow(NaN)).message).toMatch(/^pow: exponent must be a finite number, got NaN/);
  });

  it('labels out of range name the op, the position and the value', () => {
    const logits = cr.zeros([3, 4]);
    expect(thrown(() => cr.softmaxCrossEntropy(logits, cr.tensor([0, 4, 1], { dtype: 'int32' }))).message).toMatch(
      /^softmax_cross_entropy: label 4 at index 1 is out of range for 4 classes \(labels must be in \[0, 3\]\)/,
    );
    expect(thrown(() => cr.svmLoss(logits, [0, 1, -1])).message).toMatch(/^svm_loss: label -1 at index 2 is out of range for 4 classes/);
    expect(thrown(() => cr.oneHot([0, 3], 3)).message).toMatch(/^one_hot: label 3 at index 1 is out of range for 3 classes/);
    expect(thrown(() => cr.oneHot([0.5], 3)).message).toMatch(/^one_hot: label 0.5 at index 0 is not a 32-bit integer/);
  });

  it('labels that only exist at run time (made by an op) are checked when the op runs', async () => {
    const labels = cr.tensor([1, 5], { dtype: 'int32' }).gather([0, 1]); // no values at graph-build time
    await expect(cr.oneHot(labels, 3).data()).rejects.toThrow(
      /^one_hot: label 5 at index 1 is out of range for 3 classes \(labels must be in \[0, 2\]\)\n {4}at \S*errors\.test\.ts/,
    );
    expect(() => oneHot.spec.validates!.check(Int32Array.of(5), [{ shape: [1], dtype: 'int32' }], { classes: 3 })).toThrow(/^one_hot: label 5 at index 0/);
  });

  it('labels of the wrong dtype, and wrong label counts', () => {
    const logits = cr.zeros([2, 3]);
    expect(thrown(() => cr.softmaxCrossEntropy(logits, cr.tensor([0, 1]))).message).toMatch(
      /^softmax_cross_entropy: labels must be int32 \(integer labels\), got float32 \[2\]/,
    );
    expect(thrown(() => cr.softmaxCrossEntropy(logits, [0, 1, 2])).message).toMatch(
      /^softmax_cross_entropy: labels must be \[N\] = \[2\] to match scores \[2,3\], got \[3\]/,
    );
    expect(thrown(() => cr.svmLoss(cr.zeros([3]), [0])).message).toMatch(/^svm_loss: scores must be \[N, C\] \(batch, classes\), got \[3\]/);
    expect(thrown(() => cr.softmaxCrossEntropy(cr.zeros([0, 3]), [])).message).toMatch(/^softmax_cross_entropy: the batch is empty/);
    expect(thrown(() => cr.tensor([1, 2]).add(cr.tensor([1, 2], { dtype: 'int32' }))).message).toMatch(/^add: b must be a float tensor, got int32 \[2\]/);
  });

  it('backward on a non-scalar without a seed, a wrong seed, or a graph without grad', () => {
    const x = cr.tensor([1, 2, 3], { requiresGrad: true });
    expect(thrown(() => x.mul(2).backward()).message).toMatch(
      /^backward: output of shape \[3\] is not a scalar: pass a seed gradient of the same shape, loss\.backward\(seed\)/,
    );
    expect(thrown(() => x.mul(2).backward(cr.ones([2]))).message).toMatch(/^backward: seed gradient shape \[2\] differs from the output shape \[3\]/);
    expect(thrown(() => cr.tensor([1, 2]).sum().backward()).message).toMatch(
      /^backward: Tensor\(float32 \[\]\) does not require grad: none of its inputs has \{ requiresGrad: true \}, or it was computed inside noGrad\(\)/,
    );
  });

  it('data of the wrong length for the shape, ragged or non-numeric data', () => {
    expect(thrown(() => cr.tensor([1, 2, 3, 4, 5], [2, 3])).message).toMatch(/^tensor: data has 5 values but shape \[2,3\] needs 6/);
    expect(thrown(() => cr.tensor(new Float32Array(4), [3])).message).toMatch(/^tensor: data has 4 values but shape \[3\] needs 3/);
    expect(thrown(() => cr.tensor([[1, 2], [3]])).message).toMatch(/^tensor: ragged nested array: element at \[1\] has length 1, expected 2/);
    expect(thrown(() => cr.tensor([1, 'a' as unknown as number])).message).toMatch(/^tensor: value at index 1 is string, not a number/);
    expect(thrown(() => cr.tensor([1.5], { dtype: 'int32' })).message).toMatch(/^tensor: value 1.5 at index 0 is not a 32-bit integer/);
    expect(thrown(() => cr.zeros([2, -1])).message).toMatch(/^full: shape \[2,-1\] must be an array of non-negative integers/);
  });

  it('non-tensor operands and gradients on integers', () => {
    expect(thrown(() => cr.add(cr.zeros([2]), [1, 2] as unknown as number)).message).toMatch(
      /^add: b must be a Tensor or a number, got an array \(wrap it with cr\.tensor\)/,
    );
    expect(thrown(() => cr.exp([1, 2] as unknown as cr.Tensor)).message).toMatch(/^exp: x must be a Tensor, got an array/);
    expect(() => cr.tensor([1], { dtype: 'int32', requiresGrad: true })).toThrow(/only float tensors have gradients/);
  });

  it('item() on a tensor with more than one element', async () => {
    await expect(cr.zeros([2]).item()).rejects.toThrow(/^item: needs a tensor with one element, got shape \[2\]/);
  });
});

describe('wrong argument types', () => {
  it('wrong argument types raise OpErrors, not TypeErrors', () => {
    const x = cr.tensor([1, 2], { requiresGrad: true });
    expect(thrown(() => x.sum().backward([1] as unknown as cr.Tensor)).message).toMatch(/^backward: the seed gradient must be a float Tensor, got an array/);
    expect(thrown(() => x.mul(2).backward(cr.tensor([1, 1], { dtype: 'int32' }))).message).toMatch(
      /^backward: the seed gradient must be a float Tensor, got int32/,
    );
    expect(thrown(() => x.reshape(2 as unknown as number[])).message).toMatch(/^reshape: shape must be an array, got 2/);
    expect(thrown(() => cr.transpose([1, 2] as unknown as cr.Tensor)).message).toMatch(/^transpose: x must be a Tensor, got an array/);
    expect(thrown(() => cr.sum(null as unknown as cr.Tensor)).message).toMatch(/^sum: x must be a Tensor, got null/);
    expect(thrown(() => cr.full([2], 1.5, { dtype: 'int32' })).message).toMatch(/^full: value 1.5 is not an integer/);
    expect(thrown(() => cr.noGrad(async () => 1)).message).toMatch(/^noGrad: fn must be synchronous/);
  });
});

describe('every bad input is a typed error of ours that names the call', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["x.sum('a')", () => cr.ones([2]).sum('a' as unknown as number), /^sum: axis must be a number, a list of numbers or omitted, got "a"/],
    [
      'zeros of 1e12 elements',
      () => cr.zeros([1e6, 1e6]),
      /^full: a tensor of shape \[1000000,1000000\] would hold 1000000000000 elements, more than the 2147483647/,
    ],
    ['randn of 1e12 elements', () => cr.randn([1e6, 1e6]), /^randn: a tensor of shape \[1000000,1000000\] would hold/],
    ['a broadcast to 1e12 elements', () => cr.ones([1e6, 1]).add(cr.ones([1, 1e6])), /^add: a tensor of shape \[1000000,1000000\] would hold/],
    ['oneHot with 1e12 classes', () => cr.oneHot([1, 2], 1e12), /^one_hot: a tensor of shape \[2,1000000000000\] would hold/],
    ['an unknown dtype', () => cr.zeros([2], { dtype: 'float16' as cr.DType }), /^full: unknown dtype "float16" \(expected float32, int32, float64\)/],
    ['tensor() with an unknown dtype', () => cr.tensor([1], { dtype: 'bool' as cr.DType }), /^tensor: unknown dtype "bool"/],
    ['realize of a non-tensor', () => cr.realize([5 as unknown as cr.Tensor]), /^realize: element 0 is not a Tensor, got number/],
    ['realize of null', () => cr.realize(null as unknown as cr.Tensor[]), /^realize: expects an array of tensors, got null/],
    [
      'loadStateDict with an int32 value',
      () => new cr.nn.MLP([2, 3]).loadStateDict({ '0.weight': cr.zeros([3, 2], { dtype: 'int32' }), '0.bias': cr.zeros([3]) }),
      /^loadStateDict: "0\.weight" is int32, the model needs float32/,
    ],
  ];
  it.each(cases)('%s', (_name, fn, message) => {
    const e = thrown(fn);
    expect(e).toBeInstanceOf(cr.ChainruleError);
    expect(e.message).toMatch(message);
  });

  it('async calls reject with typed errors too', async () => {
    await expect(cr.gradcheck(5 as unknown as () => cr.Tensor, [cr.ones([1])])).rejects.toThrow(/^gradcheck: fn must be a function of the inputs, got number/);
    await expect(cr.gradcheck((x) => x, 5 as unknown as cr.Tensor[])).rejects.toThrow(/^gradcheck: inputs must be an array of tensors, got number/);
    const model = new cr.nn.MLP([2, 3]);
    await expect(cr.nn.evaluate(model, cr.ones([4, 2]), cr.tensor([0, 1], { dtype: 'int32' }))).rejects.toThrow(
      /^evaluate: x \[4,2\] and y \[2\] must have the same number of rows/,
    );
    await expect(
      cr.nn.fit(null as unknown as cr.nn.Module, null as unknown as cr.optim.SGD, null as unknown as cr.data.Batches, { epochs: 1 }),
    ).rejects.toThrow(/^fit: model must be a cr\.nn Module/);
    const opt = new cr.optim.SGD(model.parameters(), { lr: 0.1 });
    const data = cr.data.batches(cr.ones([4, 2]), cr.tensor([0, 1, 2, 0], { dtype: 'int32' }), { batchSize: 2 });
    await expect(cr.nn.fit(model, opt, data, { epochs: 1, lr: 0.1 as unknown as cr.optim.LrSchedule })).rejects.toThrow(
      /^fit: lr must be a schedule, a function/,
    );
    await expect(cr.nn.fit(model, opt, data, { epochs: 1, lr: () => NaN })).rejects.toThrow(/^fit: the lr schedule gave NaN at step 0/);
    expect(() => cr.optim.cosineLr(-1)).toThrow(/^cosineLr: lr must be a finite number >= 0, got -1/);
    expect(() => cr.optim.stepLr(0.1, 0, 0.5)).toThrow(/^stepLr: stepSize must be a positive integer, got 0/);
  });

  it('a loader that rejects its input changes nothing', async () => {
    const model = new cr.nn.MLP([2, 3], { seed: 0 });
    const before = await Promise.all(model.parameters().map(async (p) => Array.from(await p.data())));
    expect(() => model.loadStateDict({ '0.weight': cr.ones([3, 2]), '0.bias': cr.ones([4]) })).toThrow(
      /^loadStateDict: "0\.bias" has shape \[4\], the model needs \[3\]/,
    );
    expect(await Promise.all(model.parameters().map(async (p) => Array.from(await p.data())))).toEqual(before);
  });
});
