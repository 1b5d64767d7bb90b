// The interface of every op of one float tensor x with params { n } (the elementwise unary ops,
// reshape, l2); bindings from kernelBindings: p, x, y, dy, dx. The VJP reads what its spec saves.
struct P { n: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
