// sgd: g = grad + weight_decay * param; with momentum: velocity = first ? g : momentum * velocity +
// (1 - dampening) * g, g = nesterov ? g + momentum * velocity : velocity; then param -= lr * g.
// step: p, grad -> param, velocity (in place; velocity unused and may be empty without momentum)
struct P { n: u32, lr: f32, momentum: f32, dampening: f32, weight_decay: f32, nesterov: u32, first: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> velocity: array<f32>;

@compute @workgroup_size(WG)
fn sgd_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let threads = (p.n + SPAN - 1u) / SPAN;
  let t = invocation(gid, nwg);
  if (t >= threads) { return; } // the grid rounds up to whole workgroups
  for (var i = t; i < p.n; i += threads) { step(i); } // SPAN elements, `threads` apart
}

fn step(i: u32) {
  var g = grad[i] + p.weight_decay * param[i];
  if (p.momentum != 0.0) {
    var v = g;
    if (p.first == 0u) { v = p.momentum * velocity[i] + (1.0 - p.dampening) * g; }
    velocity[i] = v;
    g = select(v, g + p.momentum * v, p.nesterov != 0u);
  }
  param[i] = param[i] - p.lr * g;
}

// #import common
