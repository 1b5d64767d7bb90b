// mul: y = a b (broadcasting);  da = b dy, db = a dy at the output shape (autograd sums them back)
// fwd: p, a, b -> y        vjp: p, a, b, dy -> dx (for input p.wrt); bindings and p from lib/broadcast

@compute @workgroup_size(WG)
fn mul_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  y[i] = a[at.x] * b[at.y];
}

@compute @workgroup_size(WG)
fn mul_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  dx[i] = dy[i] * select(b[at.y], a[at.x], p.wrt == 1u);
}
// #import common
// #import broadcast
