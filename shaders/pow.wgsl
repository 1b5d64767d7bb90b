// pow: y = x^p for a scalar p, as PyTorch's pow(Tensor, Scalar): C's pow (x^0 = 1 even for NaN, NaN for
// x < 0 and non-integer p), but p = 0.5 and -0.5 are sqrt and 1 / sqrt;  dx = dy (p x^(p-1)), 0 when p = 0
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements, p.p = exponent
struct P { n: u32, p: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

// v^e as PyTorch: its fast paths (exact products, sqrt: (-0)^0.5 = -0, (-Inf)^0.5 = NaN), else C's pow.
fn power(v: f32, e: f32) -> f32 {
  if (e == 0.0) { return 1.0; }
  if (e == 1.0) { return v; }
  if (e == 2.0) { return v * v; }
  if (e == 3.0) { return v * v * v; }
  if (e == 0.5) { return sqrt(v); }
  if (e == -0.5) { return 1.0 / sqrt(v); }
  if (e == -1.0) { return 1.0 / v; }
  if (e == -2.0) { return 1.0 / (v * v); }
  return c_pow(v, e);
}

// C's pow for a finite e != 0: |v|^e, negated for a negative v (-0, -Inf included) and odd integer e;
// NaN for NaN, or for a finite v < 0 and non-integer e.
// NOTE: WGSL's pow is undefined for v < 0, and SwiftShader's is wrong at 0 and Inf (pow(0, -1) = 1.7e38).
fn c_pow(v: f32, e: f32) -> f32 {
  let whole = e == trunc(e);
  let odd = whole && abs(e) < 16777216.0 && (i32(e) & 1) == 1; // every f32 from 2^24 on is even
  let a = abs(v);
  var m = pow(a, e);
  if (a == 0.0) { m = select(0.0, inf(), e < 0.0); }
  if (a == inf()) { m = select(inf(), 0.0, e < 0.0); }
  let signed = select(m, -m, odd && (bitcast<u32>(v) >> 31u) == 1u);
  return select(signed, nan(), is_nan(v) || (!whole && v < 0.0 && !is_inf(v)));
}

@compute @workgroup_size(WG)
fn pow_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = power(x[i], p.p);
}

@compute @workgroup_size(WG)
fn pow_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = select(dy[i] * (p.p * power(x[i], p.p - 1.0)), 0.0, p.p == 0.0); // p = 0: zeros, whatever dy is
}
// #import common
