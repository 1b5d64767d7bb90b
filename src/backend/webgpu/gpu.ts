// WebGPU constants, numeric so that Node does not need Dawn's globals installed.
export const BufferUsage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80, QUERY_RESOLVE: 0x200 } as const;
export const MapRead = 0x1;
export const ComputeStage = 0x4;
