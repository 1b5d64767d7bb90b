/** cr.io: safetensors files, readable by PyTorch's safetensors package. */
export { saveSafetensors, loadSafetensors, encodeSafetensors, decodeSafetensors, type RawTensor } from './safetensors.ts';
