// log: y = ln(x) (log(0) = -Infinity, log(x < 0) = NaN);  dx = dy / x
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements
struct P { n: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

// NaN test on the bits (x != x may be folded away); a NaN made at run time (a constant one does not compile).
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn nan() -> f32 { let bits = 0x7fc00000u; return bitcast<f32>(bits); }

@compute @workgroup_size(WG)
fn log_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let v = x[i]; // log of a negative or NaN is not NaN everywhere (SwiftShader: log |v| and garbage)
  y[i] = select(log(v), nan(), v < 0.0 || is_nan(v));
}

@compute @workgroup_size(WG)
fn log_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[i] * (1.0 / x[i]);
}
// #import common
