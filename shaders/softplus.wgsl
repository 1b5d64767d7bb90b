// softplus: t = beta x; y = x where t > threshold, else (max(t, 0) + log1p(exp(-|t|))) / beta, which is
// PyTorch's log1p(exp(t)) / beta without its overflow;  dx = dy where t > threshold, else dy sigmoid(t)
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements, p.beta, p.threshold
struct P { n: u32, beta: f32, threshold: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

// log(1 + u) for u in [0, 1] as 2 atanh(s), s = u / (2 + u) in [0, 1/3]: odd series to s^15 (error under
// 2e-9 relative), exact at u = 0 and accurate for tiny u. NOTE: WGSL's log guarantees only an absolute
// error of 2^-21 near 1, so log(1 + u) loses all relative precision for small u.
fn log1p_unit(u: f32) -> f32 {
  let s = u / (2.0 + u);
  let z = s * s;
  return s * (2.0 + z * (2.0 / 3.0 + z * (0.4 + z * (2.0 / 7.0 + z * (2.0 / 9.0 + z * (2.0 / 11.0 + z * (2.0 / 13.0 + z * (2.0 / 15.0))))))));
}

@compute @workgroup_size(WG)
fn softplus_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let v = x[i];
  let t = v * p.beta;
  if (t > p.threshold) { y[i] = v; return; } // a NaN t compares false
  // exp(-|t|) is in [0, 1] (exp_ieee(-Infinity) = 0): nothing overflows; max() is unspecified for NaN
  y[i] = select((max(t, 0.0) + log1p_unit(exp_ieee(-abs(t)))) / p.beta, t, is_nan(t));
}

@compute @workgroup_size(WG)
fn softplus_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let t = x[i] * p.beta;
  let e = exp_ieee(-abs(t)); // sigmoid(t) as in sigmoid.wgsl: e / (1 + e) for t < 0, 1 / (1 + e) else; NaN stays
  dx[i] = select(dy[i] * (select(e, 1.0, t >= 0.0) / (1.0 + e)), dy[i], t > p.threshold);
}
// #import common
