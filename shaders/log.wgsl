// log: y = ln(x) (log(±0) = -Infinity, log(Infinity) = Infinity, log(x < 0) = NaN);  dx = dy / x
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements; bindings and p from lib/unary
// fns: log_f(x), log_df(x, y, dy) (for the fusion generator; unsaved arguments get 0.0)

fn log_f(x: f32) -> f32 { return log_ieee(x); }
fn log_df(x: f32, y: f32, dy: f32) -> f32 { return dy / x; }

@compute @workgroup_size(WG)
fn log_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = log_f(x[i]);
}

@compute @workgroup_size(WG)
fn log_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = log_df(x[i], 0.0, dy[i]);
}
// #import common
// #import unary
