// exp: y = exp(x) (exp(100) = Infinity, exp(-100) = 0);  dx = dy * y (reads the saved output)
// fwd: p, x -> y        vjp: p, y, dy -> dx        p.n = number of elements
struct P { n: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

// NaN test on the bits: v != v may be folded away by an optimizing compiler.
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

@compute @workgroup_size(WG)
fn exp_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = select(exp(x[i]), x[i], is_nan(x[i])); // exp(NaN) is not NaN everywhere (SwiftShader: Infinity)
}

@compute @workgroup_size(WG)
fn exp_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[i] * y[i];
}
// #import common
