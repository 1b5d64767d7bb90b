// div: y = a / b (broadcasting, IEEE at b = 0);  da = dy / b, db = -(a / b) / b dy (b * b could underflow)
// fwd: p, a, b -> y        vjp: p, a, b, dy -> dx (for input p.wrt); bindings and p from lib/broadcast

@compute @workgroup_size(WG)
fn div_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  y[i] = a[at.x] / b[at.y];
}

@compute @workgroup_size(WG)
fn div_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  let u = a[at.x];
  let v = b[at.y];
  dx[i] = dy[i] * select(1.0 / v, -(u / v) / v, p.wrt == 1u);
}
// #import common
// #import broadcast
