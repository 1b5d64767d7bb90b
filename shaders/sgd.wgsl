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
  let x = param[i];
  var g = grad[i] + q.weight_decay * x;
  if (q.momentum != 0.0) {
    var v = g;
    if (q.first == 0u) { v = q.momentum * velocity[i] + (1.0 - q.dampening) * g; }
    velocity[i] = v;
    g = select(v, g + q.momentum * v, q.nesterov != 0u);
  }
  param[i] = x - q.lr * g;
}

// #import common
