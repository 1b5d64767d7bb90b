// relu: y = max(0, x) (NaN stays NaN);  dx = dy where x > 0, else 0 (subgradient 0 at x = 0)
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements
struct P { n: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn relu_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = select(x[i], 0.0, x[i] <= 0.0);
}

@compute @workgroup_size(WG)
fn relu_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = select(0.0, dy[i], x[i] > 0.0);
}
// #import common
