// pow: y = x^p for a scalar p, as Math.pow: x^0 = 1 (even for NaN), |x|^p negated for x < 0 and odd
// integer p, NaN for x < 0 and non-integer p;  dx = dy p x^(p-1), and 0 when p = 0
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements, p.p = exponent
struct P { n: u32, p: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

// v^e as Math.pow; WGSL's pow(v, e) is undefined for v < 0 (and NaN in, NaN out is not guaranteed),
// so take |v|^e, negate it for odd e and negative v (-0 and -Infinity included), NaN for finite v < 0, e not whole.
fn power(v: f32, e: f32) -> f32 {
  let whole = e == trunc(e);
  let odd = whole && abs(e) < 16777216.0 && (i32(e) & 1) == 1; // every f32 from 2^24 on is even
  let m = pow(abs(v), e);
  let signed = select(m, -m, odd && (bitcast<u32>(v) >> 31u) == 1u);
  let finite = (bitcast<u32>(v) & 0x7fffffffu) < 0x7f800000u;
  let undefined = is_nan(v) || (!whole && v < 0.0 && finite);
  return select(select(signed, nan(), undefined), 1.0, e == 0.0);
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
  dx[i] = select(dy[i] * p.p * power(x[i], p.p - 1.0), 0.0, p.p == 0.0); // p = 0: constant (no 0 * inf)
}
// #import common
