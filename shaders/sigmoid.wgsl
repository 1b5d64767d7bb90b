// sigmoid: y = 1 / (1 + exp(-x)), as e^-|x| / (1 + e^-|x|) for x < 0 (no overflow);  dx = (1 - y) y dy
// fwd: p, x -> y        vjp: p, y, dy -> dx        p.n = number of elements; bindings and p from lib/unary
// fns: sigmoid_f(x), sigmoid_df(x, y, dy) (for the fusion generator; unsaved arguments get 0.0)

fn sigmoid_f(x: f32) -> f32 {
  let e = exp_ieee(-abs(x)); // in [0, 1]: never overflows; NaN stays NaN
  return select(e, 1.0, x >= 0.0) / (1.0 + e);
}
fn sigmoid_df(x: f32, y: f32, dy: f32) -> f32 { return dy * ((1.0 - y) * y); }

@compute @workgroup_size(WG)
fn sigmoid_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = sigmoid_f(x[i]);
}

@compute @workgroup_size(WG)
fn sigmoid_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = sigmoid_df(0.0, y[i], dy[i]);
}
// #import common
// #import unary
