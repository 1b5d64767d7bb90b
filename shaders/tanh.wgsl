// tanh: y = tanh(x) (±1 for |x| > 10, where builtin tanh may overflow);  dx = (1 - y^2) dy
// fwd: p, x -> y        vjp: p, y, dy -> dx        p.n = number of elements; bindings and p from lib/unary

@compute @workgroup_size(WG)
fn tanh_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let v = x[i]; // builtin tanh may overflow to NaN for large |v|, but tanh(v) rounds to ±1 beyond 10
  y[i] = select(tanh(v), sign(v), abs(v) > 10.0); // NaN: abs(v) > 10 is false, tanh(NaN) = NaN
}

@compute @workgroup_size(WG)
fn tanh_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[i] * (1.0 - y[i] * y[i]);
}
// #import common
// #import unary
