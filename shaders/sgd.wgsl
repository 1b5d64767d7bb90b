// sgd: g = grad + weight_decay * param; with momentum: velocity = first ? g : momentum * velocity +
// (1 - dampening) * g, g = nesterov ? g + momentum * velocity : velocity; then param -= lr * g.
// step: p, grad -> param, velocity (in place; velocity unused and may be empty without momentum)
struct P { n: u32, lr: f32, momentum: f32, dampening: f32, weight_decay: f32, nesterov: u32, first: u32 }
// Elements per invocation, chosen per device by measurement (src/ops/update.ts SPANS).
override SPAN: u32;
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> velocity: array<f32>;

@compute @workgroup_size(WG)
fn sgd_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let threads = (p.n + SPAN - 1u) / SPAN;
  let t = invocation(gid, nwg);
  if (t >= threads) { return; } // the grid rounds up to whole workgroups
  let q = p; // the params in registers, once
  let n = q.n;
  for (var i = t; i < n; i += threads) { step(i, q); } // SPAN elements, `threads` apart
}

fn step(i: u32, q: P) {
  var v0 = 0.0;
  if (q.momentum != 0.0 && q.first == 0u) { v0 = velocity[i]; } // without momentum the buffer is empty
  let r = sgd_update(param[i], grad[i], v0, q);
  if (q.momentum != 0.0) { velocity[i] = r.y; }
  param[i] = r.x;
}

// One element's step, once for every kernel (this one, and the generated kernels that update several
// parameters in one dispatch): the new parameter and velocity from the old ones and the gradient.
fn sgd_update(x: f32, grad: f32, v0: f32, q: P) -> vec2f {
  var g = grad + q.weight_decay * x;
  var v = 0.0;
  if (q.momentum != 0.0) {
    v = g;
    if (q.first == 0u) { v = q.momentum * v0 + (1.0 - q.dampening) * g; }
    g = select(v, g + q.momentum * v, q.nesterov != 0u);
  }
  return vec2f(x - q.lr * g, v);
}

// #import common
