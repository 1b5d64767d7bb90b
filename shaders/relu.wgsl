// relu: y = max(0, x) (NaN and -0 stay);  dx = 0 where x <= 0 (subgradient 0 at 0), else dy (a NaN x too)
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements; bindings and p from lib/unary

@compute @workgroup_size(WG)
fn relu_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = select(x[i], 0.0, x[i] < 0.0);
}

@compute @workgroup_size(WG)
fn relu_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = select(dy[i], 0.0, x[i] <= 0.0); // NOTE: select, never dy * 0: a NaN or infinite dy must not leak
}
// #import common
// #import unary
