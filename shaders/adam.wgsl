// adam: g = grad + weight_decay * param; m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
// param -= step_size * m / (sqrt(v) / sqrt_correction2 + eps), with step_size = lr / (1 - beta1^t)
// and sqrt_correction2 = sqrt(1 - beta2^t) folded on the host.
// step: p, grad -> param, m, v (in place)
struct P { n: u32, step_size: f32, beta1: f32, beta2: f32, eps: f32, weight_decay: f32, sqrt_correction2: f32 }
// Elements per invocation, chosen per device by measurement (src/ops/update.ts SPANS).
override SPAN: u32;
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(WG)
fn adam_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let threads = (p.n + SPAN - 1u) / SPAN;
  let t = invocation(gid, nwg);
  if (t >= threads) { return; } // the grid rounds up to whole workgroups
  let q = p; // the params in registers, once
  let n = q.n;
  for (var i = t; i < n; i += threads) { step(i, q); } // SPAN elements, `threads` apart
}

fn step(i: u32, q: P) {
  let r = adam_update(param[i], grad[i], m[i], v[i], q);
  m[i] = r.y;
  v[i] = r.z;
  param[i] = r.x;
}

// One element's step, once for every kernel (this one, and the generated kernels that update several
// parameters in one dispatch): the new parameter and moments from the old ones and the gradient.
fn adam_update(x: f32, grad: f32, m0: f32, v0: f32, q: P) -> vec3f {
  let g = grad + q.weight_decay * x;
  let m1 = q.beta1 * m0 + (1.0 - q.beta1) * g;
  let v1 = q.beta2 * v0 + (1.0 - q.beta2) * g * g;
  return vec3f(x - q.step_size * m1 / (sqrt(v1) / q.sqrt_correction2 + q.eps), m1, v1);
}

// #import common
