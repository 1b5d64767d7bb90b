// The libraries' versions and how the page waits for each one's GPU work: static and light, so the
// header names them even when a peer fails to load (the peers themselves are loaded with import()).
import { version as chainruleVersion } from '../../package.json';
// jax-js exports no version and its package "exports" hides package.json: read the file itself.
import { version as jaxVersion } from '../../node_modules/@jax-js/jax/package.json';
import { version as tfjsVersion } from '@tensorflow/tfjs/dist/version';
import { version as tfjsWebgpuVersion } from '@tensorflow/tfjs-backend-webgpu/dist/version';

export interface LibraryInfo {
  name: string;
  version: string;
  /** How a timing waits for the device's completion, and what is compiled or tidied. */
  method: string;
}

export const libraries = {
  chainrule: {
    name: 'chainrule',
    version: chainruleVersion,
    method: 'await cr.sync() (the device is idle); cr.nn.MLP, loss.backward(), cr.optim.SGD: opt.step() plans and submits the whole step',
  },
  jax: {
    name: 'jax-js',
    version: jaxVersion,
    method:
      'await blockUntilReady() on the outputs (dispatches the pending kernels, then awaits a buffer map after them); ' +
      'the whole step (valueAndGrad + update) is one jit()-compiled function',
  },
  tfjs: {
    name: 'TF.js',
    version: `${tfjsVersion} with tfjs-backend-webgpu ${tfjsWebgpuVersion}`,
    method:
      'submit the recorded commands (WebGPUBackend.submitQueue, as a read does), then await GPUQueue.onSubmittedWorkDone(); ' +
      'optimizer.minimize() inside tf.tidy, the loss disposed at the next step (no jit in TF.js)',
  },
} satisfies Record<string, LibraryInfo>;
