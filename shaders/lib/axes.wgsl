// The interface of the reductions over axes (sum, mean, max), params from reduceParams in
// src/ops/reduce.ts: groups, count per group, kept/reduced ranks, n and rank of x, serial; kept and
// reduced shapes and x strides; x's shape and the output strides of each x axis (0 where reduced).
struct P { groups: u32, count: u32, nk: u32, nr: u32, n: u32, ndim: u32, serial: u32, kshape: array<vec4u, 2>, kstr: array<vec4u, 2>, rshape: array<vec4u, 2>, rstr: array<vec4u, 2>, xshape: array<vec4u, 2>, ostr: array<vec4u, 2> }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

// Element k of x. A fused kernel (src/backend/webgpu/fused.ts) replaces this function to compute
// the element from elementwise ops first (the reduction's prologue: ReLU's mask before a bias sum).
fn load(k: u32) -> f32 {
  return x[k];
}

// Sum of the elements start, start + step, ... of group g.
fn part(g: u32, start: u32, step: u32) -> f32 {
  let base = offset(g, p.nk, p.kshape, p.kstr);
  var s = 0.0;
  if (p.nr == 1u) { // one reduced axis (adjacent ones are merged on the host): a plain strided loop
    let stride = p.rstr[0].x;
    for (var r = start; r < p.count; r += step) { s += load(base + r * stride); }
    return s;
  }
  for (var r = start; r < p.count; r += step) { s += load(base + offset(r, p.nr, p.rshape, p.rstr)); }
  return s;
}
// #import reduce
