// flatten: y = x (axes startDim.. merged into one; same row-major order);  dx = dy
// fwd: p, x -> y        vjp: p, dy -> dx        p.n = number of elements

@compute @workgroup_size(WG)
fn flatten_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = x[i];
}

@compute @workgroup_size(WG)
fn flatten_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[i];
}
// #import common
// #import unary
