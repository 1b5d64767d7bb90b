// mul: y = a b (broadcasting);  da = b dy, db = a dy at the output shape (autograd sums them back)
// fwd: p, a, b -> y        vjp: p, a, b, dy -> dx (for input p.wrt)
struct P { n: u32, ndim: u32, wrt: u32, ma: u32, mb: u32, shape: array<vec4u, 2>, sa: array<vec4u, 2>, sb: array<vec4u, 2> }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn mul_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  y[i] = a[at.x] * b[at.y];
}

@compute @workgroup_size(WG)
fn mul_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  dx[i] = dy[i] * select(b[at.y], a[at.x], p.wrt == 1u);
}
// #import common
// #import broadcast
