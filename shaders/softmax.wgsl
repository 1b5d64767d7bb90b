// softmax: y = exp(x - max) / sum exp(x - max) along the axis (one invocation per lane);
// vjp: dx = y (dy - sum(dy y)) along the same lane.  fwd: p, x -> y   vjp: p, y, dy -> dx
// p.lanes = outer * inner, p.n = axis length, p.inner = stride; lane l starts at o n inner + i
struct P { lanes: u32, n: u32, inner: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

fn lane_base(l: u32) -> u32 { return (l / p.inner) * p.n * p.inner + l % p.inner; }

@compute @workgroup_size(WG)
fn softmax_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let l = invocation(gid, nwg);
  if (l >= p.lanes) { return; }
  let b = lane_base(l);
  var m = x[b];
  for (var j = 1u; j < p.n; j++) { let v = x[b + j * p.inner]; m = select(m, v, v > m || v != v); }
  var s = 0.0;
  for (var j = 0u; j < p.n; j++) { s += exp(x[b + j * p.inner] - m); }
  for (var j = 0u; j < p.n; j++) { y[b + j * p.inner] = exp(x[b + j * p.inner] - m) / s; }
}

@compute @workgroup_size(WG)
fn softmax_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let l = invocation(gid, nwg);
  if (l >= p.lanes) { return; }
  let b = lane_base(l);
  var dot = 0.0;
  for (var j = 0u; j < p.n; j++) { dot += dy[b + j * p.inner] * y[b + j * p.inner]; }
  for (var j = 0u; j < p.n; j++) { let k = b + j * p.inner; dx[k] = y[k] * (dy[k] - dot); }
}
// #import common
