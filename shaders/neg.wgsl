// neg: y = -x;  dx = -dy
// fwd: p, x -> y        vjp: p, dy -> dx            p.n = number of elements; bindings and p from lib/unary

@compute @workgroup_size(WG)
fn neg_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = -x[i];
}

@compute @workgroup_size(WG)
fn neg_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = -dy[i];
}
// #import common
// #import unary
