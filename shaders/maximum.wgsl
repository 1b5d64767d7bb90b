// maximum: y = max(a, b) (broadcasting; NaN if either is NaN);  at the output shape:
// da = dy unless a < b, db = dy unless a >= b, else 0 (ties route to a; a NaN routes to both)
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
  let u = a[at.x];
  let v = b[at.y];
  // a is closed where b wins, b where a wins or ties (ties go to a); a NaN compares false: both get dy
  let b_wins = u < v;
  let a_holds = u >= v;
  let closed = select(b_wins, a_holds, p.wrt == 1u);
  dx[i] = select(dy[i], 0.0, closed); // NOTE: select, never dy * 0: a NaN or infinite dy must not leak
}
// #import common
// #import broadcast
