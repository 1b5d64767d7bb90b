// maximum: y = max(a, b) (broadcasting; NaN if either is NaN);  at the output shape:
// da = dy unless a < b, db = dy where a < b (ties route to a)
// fwd: p, a, b -> y        vjp: p, a, b, dy -> dx (for input p.wrt)
struct P { n: u32, ndim: u32, wrt: u32, ma: u32, mb: u32, shape: array<vec4u, 2>, sa: array<vec4u, 2>, sb: array<vec4u, 2> }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

// NaN test on the bits: x != x may be folded away by an optimizing compiler.
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }

@compute @workgroup_size(WG)
fn maximum_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  let u = a[at.x];
  let v = b[at.y];
  y[i] = select(select(u, v, u < v), v, is_nan(v)); // a NaN u already wins: u < v is false
}

@compute @workgroup_size(WG)
fn maximum_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  let to_b = a[at.x] < b[at.y];
  dx[i] = dy[i] * select(0.0, 1.0, to_b == (p.wrt == 1u));
}
// #import common
// #import broadcast
