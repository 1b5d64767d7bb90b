// square: y = x x (as torch.square, pow(x, 2));  dx = dy (2 x) (PyTorch's pow_backward)
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements; bindings and p from lib/unary
// fns: square_f(x), square_df(x, y, dy) (for the fusion generator; unsaved arguments get 0.0)

fn square_f(x: f32) -> f32 { return x * x; }
fn square_df(x: f32, y: f32, dy: f32) -> f32 { return dy * (2.0 * x); }

@compute @workgroup_size(WG)
fn square_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = square_f(x[i]);
}

@compute @workgroup_size(WG)
fn square_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = square_df(x[i], 0.0, dy[i]);
}
// #import common
// #import unary
