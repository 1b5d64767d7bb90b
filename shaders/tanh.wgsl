// tanh: y = tanh(x) (±1 for |x| > 10, where builtin tanh may overflow; NaN and ±0 stay);  dx = (1 - y^2) dy
// fwd: p, x -> y        vjp: p, y, dy -> dx        p.n = number of elements; bindings and p from lib/unary

@compute @workgroup_size(WG)
fn tanh_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let v = x[i]; // NOTE: builtin tanh may overflow to NaN for large |v| (it rounds to ±1 beyond 10) and loses -0
  y[i] = select(select(tanh(v), sign(v), abs(v) > 10.0), v, v == 0.0 || is_nan(v));
}

@compute @workgroup_size(WG)
fn tanh_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[i] * (1.0 - y[i] * y[i]);
}
// #import common
// #import unary
