/** Whether ops record gradients: on, except inside noGrad() (PyTorch's torch.no_grad). */
import { fail } from './errors.ts';

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs fn without recording gradients: results do not require grad (PyTorch's torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const before = enabled;
  enabled = false;
  try {
    const result = fn();
    // NOTE: the flag is global and synchronous: an async fn would run its later parts with grad on.
    if (result instanceof Promise) fail('noGrad', 'fn must be synchronous (it returned a Promise); await outside noGrad');
    return result;
  } finally {
    enabled = before;
  }
}
