/** Module and Sequential: layers with named parameters and PyTorch-compatible state dicts. */
import { fail } from '../errors.ts';
import { formatShape, sameShape } from '../shape.ts';
import type { Meta } from '../ops/spec.ts';
import { Tensor } from '../tensor.ts';
import { assign } from '../executor.ts';
import { withScope } from '../graph.ts';

/**
 * A layer or a model: a forward function and named parameters. Names and layouts of `stateDict()`
 * follow torch.nn, so a model saved with cr.io.saveSafetensors loads into the same PyTorch model.
 */
export abstract class Module {
  abstract forward(x: Tensor): Tensor;

  /** The layer's kind as torch.nn names it ("Linear"), stated by each class so minified bundles keep it. */
  readonly typeName: string = 'Module';

  /** Parameters by name ("0.weight", "0.bias", ...), in registration order, in chainrule's layout. */
  namedParameters(): [string, Tensor][] {
    return [];
  }

  /** The trainable tensors, for an optimizer: `new cr.optim.SGD(model.parameters(), { lr })`. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Weight matrices only (no biases): what L2 regularisation penalises, as in the lecture. */
  weights(): Tensor[] {
    return this.namedParameters()
      .filter(([name]) => name === 'weight' || name.endsWith('.weight'))
      .map(([, p]) => p);
  }

  /**
   * The values by PyTorch's names in PyTorch's layout (see Linear), for cr.io.saveSafetensors: a
   * snapshot, so later optimizer steps do not change what it holds.
   */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedParameters().map(([name, p]) => [name, p.detach()]));
  }

  /** Shape and dtype of each stateDict() entry, computing nothing. */
  stateMeta(): Record<string, Meta> {
    return Object.fromEntries(this.namedParameters().map(([name, p]) => [name, { shape: p.shape, dtype: p.dtype }]));
  }

  /**
   * Copies values from a state dict (PyTorch's names and layout, e.g. from cr.io.loadSafetensors)
   * into the parameters, in place; every parameter must be present with its shape and dtype. All or
   * nothing: every entry is checked before any parameter changes.
   */
  loadStateDict(state: Readonly<Record<string, Tensor>>): void {
    if (typeof state !== 'object' || state === null) fail('loadStateDict', `expected a record of tensors, got ${state === null ? 'null' : typeof state}`);
    const want = this.stateMeta();
    for (const name of Object.keys(state))
      if (!(name in want)) fail('loadStateDict', `unexpected key "${name}" (the model has ${Object.keys(want).join(', ') || 'no parameters'})`);
    const values = new Map<string, Tensor>();
    for (const [name, like] of Object.entries(want)) {
      const v = state[name];
      if (!(v instanceof Tensor)) fail('loadStateDict', `missing key "${name}" (${formatShape(like.shape)})`);
      v.value.assertUsable('loadStateDict');
      if (!sameShape(v.shape, like.shape)) fail('loadStateDict', `"${name}" has shape ${formatShape(v.shape)}, the model needs ${formatShape(like.shape)}`);
      if (v.dtype !== like.dtype) fail('loadStateDict', `"${name}" is ${v.dtype}, the model needs ${like.dtype}`);
      values.set(name, v);
    }
    this.loadFrom((name) => values.get(name)!);
  }

  /** Writes each parameter from the state dict entry of its name (used by loadStateDict, which checks them). */
  loadFrom(value: (name: string) => Tensor): void {
    for (const [name, p] of this.namedParameters()) assign(p.value, value(name).value);
  }
}

/** Modules applied in order; parameter names get the child's index as a prefix ("0.weight"), as in torch.nn.Sequential. */
export class Sequential extends Module {
  override readonly typeName: string = 'Sequential';
  readonly layers: readonly Module[];

  constructor(...layers: Module[]) {
    super();
    layers.forEach((l, i) => {
      if (!(l instanceof Module)) fail('Sequential', `layer ${i} is not a cr.nn Module`);
    });
    this.layers = layers;
  }

  forward(x: Tensor): Tensor {
    // Each layer's values note it (cr.graph collapses a layer into one box).
    return this.layers.reduce((h, layer, i) => withScope(`${i}.${layer.typeName}`, () => layer.forward(h)), x);
  }

  override namedParameters(): [string, Tensor][] {
    return this.layers.flatMap((l, i) => l.namedParameters().map(([n, p]): [string, Tensor] => [`${i}.${n}`, p]));
  }

  override stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.layers.flatMap((l, i) => Object.entries(l.stateDict()).map(([n, t]) => [`${i}.${n}`, t])));
  }

  override stateMeta(): Record<string, Meta> {
    return Object.fromEntries(this.layers.flatMap((l, i) => Object.entries(l.stateMeta()).map(([n, m]) => [`${i}.${n}`, m])));
  }

  override loadFrom(value: (name: string) => Tensor): void {
    this.layers.forEach((l, i) => l.loadFrom((n) => value(`${i}.${n}`)));
  }
}

/** A layer's parameters by torch.nn's names: "weight", and "bias" where it has one. */
export function weightAndBias(weight: Tensor, bias: Tensor | null): [string, Tensor][] {
  return bias
    ? [
        ['weight', weight],
        ['bias', bias],
      ]
    : [['weight', weight]];
}

/** max(0, x), as a layer. */
export class ReLU extends Module {
  override readonly typeName: string = 'ReLU';
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}
