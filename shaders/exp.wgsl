// exp: y = exp(x) (exp(100) = Infinity, exp(-100) = 0, NaN stays NaN);  dx = dy * y (reads the saved output)
// fwd: p, x -> y        vjp: p, y, dy -> dx        p.n = number of elements; bindings and p from lib/unary

@compute @workgroup_size(WG)
fn exp_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = exp_ieee(x[i]);
}

@compute @workgroup_size(WG)
fn exp_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[i] * y[i];
}
// #import common
// #import unary
