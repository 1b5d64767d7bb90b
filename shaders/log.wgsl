// log: y = ln(x) (log(±0) = -Infinity, log(Infinity) = Infinity, log(x < 0) = NaN);  dx = dy / x
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements; bindings and p from lib/unary

@compute @workgroup_size(WG)
fn log_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = log_ieee(x[i]);
}

@compute @workgroup_size(WG)
fn log_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[i] / x[i];
}
// #import common
// #import unary
