// sub: y = a - b (broadcasting);  da = dy, db = -dy at the output shape (autograd sums them back)
// fwd: p, a, b -> y        vjp: p, dy -> dx (for input p.wrt); bindings and p from lib/broadcast

@compute @workgroup_size(WG)
fn sub_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  y[i] = a[at.x] - b[at.y];
}

@compute @workgroup_size(WG)
fn sub_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = select(dy[i], -dy[i], p.wrt == 1u);
}
// #import common
// #import broadcast
