// relu: y = max(0, x) (NaN stays NaN);  dx = dy where x > 0, else 0 (subgradient 0 at x = 0)
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements; bindings and p from lib/unary

@compute @workgroup_size(WG)
fn relu_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = select(x[i], 0.0, x[i] <= 0.0);
}

@compute @workgroup_size(WG)
fn relu_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = select(0.0, dy[i], x[i] > 0.0);
}
// #import common
// #import unary
