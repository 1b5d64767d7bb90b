// where: y = a where cond != 0, else b (broadcasting all three; cond int32 or float, NaN counts as true)
// at the output shape: da = dy where cond, else 0; db = 0 where cond, else dy (selected, never multiplied)
// fwd: p, cond, a, b -> y        vjp: p, cond, dy -> dx (for input p.wrt: 1 = a, 2 = b); p, bindings from lib/broadcast3

@compute @workgroup_size(WG)
fn where_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands3(i);
  y[i] = select(b[at.z], a[at.y], truth(at.x)); // copies the bits: -0 and NaN pass unchanged
}

@compute @workgroup_size(WG)
fn where_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let open = truth(operands3(i).x) == (p.wrt == 1u);
  dx[i] = select(0.0, dy[i], open); // NOTE: select, never dy * 0: a NaN or infinite dy must not leak
}
// #import common
// #import broadcast3
