// div: y = a / b (broadcasting, IEEE at b = 0);  da = dy / b, db = -(a / b) / b dy (b * b could underflow)
// fwd: p, a, b -> y        vjp: p, a, b, dy -> dx (for input p.wrt)
struct P { n: u32, ndim: u32, wrt: u32, ma: u32, mb: u32, shape: array<vec4u, 2>, sa: array<vec4u, 2>, sb: array<vec4u, 2> }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn div_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  y[i] = a[at.x] / b[at.y];
}

@compute @workgroup_size(WG)
fn div_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  let u = a[at.x];
  let v = b[at.y];
  dx[i] = dy[i] * select(1.0 / v, -(u / v) / v, p.wrt == 1u);
}
// #import common
// #import broadcast
