// exp: y = exp(x) (exp(100) = Infinity, exp(-100) = 0, NaN stays NaN);  dx = dy * y (reads the saved output)
// fwd: p, x -> y        vjp: p, y, dy -> dx        p.n = number of elements; bindings and p from lib/unary
// fns: exp_f(x), exp_df(x, y, dy) (for the fusion generator; unsaved arguments get 0.0)

fn exp_f(x: f32) -> f32 { return exp_ieee(x); }
fn exp_df(x: f32, y: f32, dy: f32) -> f32 { return dy * y; }

@compute @workgroup_size(WG)
fn exp_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = exp_f(x[i]);
}

@compute @workgroup_size(WG)
fn exp_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = exp_df(0.0, y[i], dy[i]);
}
// #import common
// #import unary
