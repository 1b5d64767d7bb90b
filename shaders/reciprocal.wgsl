// reciprocal: y = 1 / x;  dx = -y^2 dy (reads the saved output)
// fwd: p, x -> y        vjp: p, y, dy -> dx        p.n = number of elements; bindings and p from lib/unary
// fns: reciprocal_f(x), reciprocal_df(x, y, dy) (for the fusion generator; unsaved arguments get 0.0)

fn reciprocal_f(x: f32) -> f32 { return 1.0 / x; }
fn reciprocal_df(x: f32, y: f32, dy: f32) -> f32 { return dy * (-y * y); }

@compute @workgroup_size(WG)
fn reciprocal_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = reciprocal_f(x[i]);
}

@compute @workgroup_size(WG)
fn reciprocal_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = reciprocal_df(0.0, y[i], dy[i]);
}
// #import common
// #import unary
