// The interface of the ops along one axis (softmax, log_softmax): one invocation per lane;
// p.lanes = outer * inner, p.n = axis length, p.inner = stride; lane l starts at o n inner + i.
struct P { lanes: u32, n: u32, inner: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

fn lane_base(l: u32) -> u32 { return (l / p.inner) * p.n * p.inner + l % p.inner; }

// Max of lane b (NaN wins), and the sum of exp(x - max) over it: shifting by the max keeps exp finite.
// NOTE: a lane with +Infinity has Inf - Inf = NaN, so exp_ieee makes the whole lane NaN, as in PyTorch.
fn lane_max(b: u32) -> f32 {
  var m = x[b];
  for (var j = 1u; j < p.n; j++) { let v = x[b + j * p.inner]; m = select(m, v, v > m || is_nan(v)); }
  return m;
}
fn lane_exp_sum(b: u32, m: f32) -> f32 {
  var s = 0.0;
  for (var j = 0u; j < p.n; j++) { s += exp_ieee(x[b + j * p.inner] - m); }
  return s;
}
// #import common
