// maximum: y = max(a, b) (broadcasting; NaN if either is NaN);  at the output shape:
// da = dy unless a < b, db = dy where a < b (ties route to a)
// fwd: p, a, b -> y        vjp: p, a, b, dy -> dx (for input p.wrt); bindings and p from lib/broadcast

@compute @workgroup_size(WG)
fn maximum_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  let u = a[at.x];
  let v = b[at.y];
  y[i] = select(select(u, v, u < v), v, is_nan(v)); // a NaN u already wins: u < v is false
}

@compute @workgroup_size(WG)
fn maximum_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  let to_b = a[at.x] < b[at.y];
  dx[i] = dy[i] * select(0.0, 1.0, to_b == (p.wrt == 1u));
}
// #import common
// #import broadcast
