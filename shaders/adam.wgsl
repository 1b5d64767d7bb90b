// adam: g = grad + weight_decay * param; m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
// param -= step_size * m / (sqrt(v) / sqrt_correction2 + eps), with step_size = lr / (1 - beta1^t)
// and sqrt_correction2 = sqrt(1 - beta2^t) folded on the host.
// step: p, grad -> param, m, v (in place)
struct P { n: u32, step_size: f32, beta1: f32, beta2: f32, eps: f32, weight_decay: f32, sqrt_correction2: f32 }
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
  for (var i = t; i < p.n; i += threads) { step(i); } // SPAN elements, `threads` apart
}

fn step(i: u32) {
  let g = grad[i] + p.weight_decay * param[i];
  let m1 = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let v1 = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = m1;
  v[i] = v1;
  param[i] = param[i] - p.step_size * m1 / (sqrt(v1) / p.sqrt_correction2 + p.eps);
}

// #import common
