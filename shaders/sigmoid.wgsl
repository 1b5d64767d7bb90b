// sigmoid: y = 1 / (1 + exp(-x)), as e^-|x| / (1 + e^-|x|) for x < 0 (no overflow);  dx = (1 - y) y dy
// fwd: p, x -> y        vjp: p, y, dy -> dx        p.n = number of elements
struct P { n: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn sigmoid_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let e = exp(-abs(x[i])); // in (0, 1]: never overflows; NaN stays NaN
  y[i] = select(e, 1.0, x[i] >= 0.0) / (1.0 + e);
}

@compute @workgroup_size(WG)
fn sigmoid_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[i] * ((1.0 - y[i]) * y[i]);
}
// #import common
