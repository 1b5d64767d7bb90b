// The interface of every elementwise unary op (bindings from kernelBindings: p, x, y, dy, dx):
// p.n elements; the VJP reads x or y, whichever its spec saves.
struct P { n: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
