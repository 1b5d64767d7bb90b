// relu: y = max(0, x) (NaN and -0 stay);  dx = 0 where x <= 0 (subgradient 0 at 0), else dy (a NaN x too)
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements; bindings and p from lib/unary

@compute @workgroup_size(WG)
fn relu_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let v = x[i];
  // NOTE: a sign-bit test, not v < 0.0: NVIDIA's compiler makes max(v, 0) of the select, which loses
  // NaN and -0. Negative numbers (sign set, not NaN, not -0) become 0.
  let negative = (bitcast<u32>(v) >> 31u) == 1u && !is_nan(v) && v != 0.0;
  y[i] = select(v, 0.0, negative);
}

@compute @workgroup_size(WG)
fn relu_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = select(dy[i], 0.0, x[i] <= 0.0); // NOTE: select, never dy * 0: a NaN or infinite dy must not leak
}
// #import common
// #import unary
