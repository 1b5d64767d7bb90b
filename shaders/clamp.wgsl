// clamp: y = min(max(x, lo), hi), x kept on ties (NaN stays NaN; lo > hi gives hi);  dx = dy where
// lo <= x <= hi, else 0 (PyTorch's clamp_backward mask: a NaN x gets 0)
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements, p.lo, p.hi = bounds (-Infinity, Infinity if absent)
struct P { n: u32, lo: f32, hi: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn clamp_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let v = x[i];
  let lower = select(v, p.lo, v < p.lo); // NOTE: not WGSL's clamp/min/max: undefined for NaN and lo > hi
  let t = select(lower, p.hi, p.hi < lower);
  y[i] = select(t, v, is_nan(v)); // NOTE: NVIDIA's compiler makes min/max of the selects, which drop a NaN
}

@compute @workgroup_size(WG)
fn clamp_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = select(0.0, dy[i], x[i] >= p.lo && x[i] <= p.hi); // NOTE: select, never dy * 0
}
// #import common
