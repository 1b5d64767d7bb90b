// tanh: y = tanh(x) (±1 for |x| > 10, where builtin tanh may overflow; NaN and ±0 stay);  dx = (1 - y^2) dy
// fwd: p, x -> y        vjp: p, y, dy -> dx        p.n = number of elements; bindings and p from lib/unary
// fns: tanh_f(x), tanh_df(x, y, dy) (for the fusion generator; unsaved arguments get 0.0)

// NOTE: builtin tanh may overflow to NaN for large |x| (it rounds to ±1 beyond 10) and loses -0
fn tanh_f(x: f32) -> f32 { return select(select(tanh(x), sign(x), abs(x) > 10.0), x, x == 0.0 || is_nan(x)); }
fn tanh_df(x: f32, y: f32, dy: f32) -> f32 { return dy * (1.0 - y * y); }

@compute @workgroup_size(WG)
fn tanh_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = tanh_f(x[i]);
}

@compute @workgroup_size(WG)
fn tanh_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = tanh_df(0.0, y[i], dy[i]);
}
// #import common
// #import unary
