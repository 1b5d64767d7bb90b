// Shared by every kernel: workgroups of WG invocations on a 2-D grid (no dimension over 65535
// workgroups). WG is not defined in any file: every module starts with `const WG: u32 = WORKGROUP;`
// (src/ops/params.ts, put there by src/backend/webgpu/kernels.ts), the number launches divide by.

// Flat index of this invocation (threads mode) or of this workgroup (groups mode; not named
// `workgroup`, a WGSL keyword that parsers such as wgsl_reflect reject as a function name).
fn invocation(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }
fn group_id(wid: vec3u, nwg: vec3u) -> u32 { return wid.x + wid.y * nwg.x; }

// Entry k of a MAX_DIMS (8) vector of dims packed as array<vec4u, 2>.
fn dim(v: array<vec4u, 2>, k: u32) -> u32 { return v[k / 4u][k % 4u]; }

// NaN and infinities tested on the bits (v != v may be folded away by an optimizing compiler), and made
// at run time from private bits (WGSL has no such literals and Tint rejects them as constants).
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn is_inf(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u; }
var<private> nan_bits: u32 = 0x7fc00000u;
var<private> inf_bits: u32 = 0x7f800000u;
fn nan() -> f32 { return bitcast<f32>(nan_bits); }
fn inf() -> f32 { return bitcast<f32>(inf_bits); }
fn neg_inf() -> f32 { return -inf(); }

// exp and log with IEEE results at NaN, ±Infinity and ±0, as PyTorch gives them.
// NOTE: SwiftShader's builtins do not give them: exp(NaN) = Infinity, log(0) = -88.03, log(-1) = log(1).
fn exp_ieee(v: f32) -> f32 {
  if (is_nan(v) || v == inf()) { return v; }
  if (v == neg_inf()) { return 0.0; }
  return exp(v);
}
fn log_ieee(v: f32) -> f32 {
  if (is_nan(v) || v < 0.0) { return nan(); }
  if (v == 0.0) { return neg_inf(); } // -0 too
  if (v == inf()) { return v; }
  return log(v);
}
