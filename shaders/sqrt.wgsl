// sqrt: y = sqrt(x);  dx = dy / (2 y) (reads the saved output)
// fwd: p, x -> y        vjp: p, y, dy -> dx        p.n = number of elements; bindings and p from lib/unary
// fns: sqrt_f(x), sqrt_df(x, y, dy) (for the fusion generator; unsaved arguments get 0.0)

fn sqrt_f(x: f32) -> f32 { return sqrt(x); }
fn sqrt_df(x: f32, y: f32, dy: f32) -> f32 { return dy * (0.5 / y); }

@compute @workgroup_size(WG)
fn sqrt_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = sqrt_f(x[i]);
}

@compute @workgroup_size(WG)
fn sqrt_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = sqrt_df(0.0, y[i], dy[i]);
}
// #import common
// #import unary
