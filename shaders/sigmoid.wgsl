// sigmoid: y = 1 / (1 + exp(-x)), as e^-|x| / (1 + e^-|x|) for x < 0 (no overflow);  dx = (1 - y) y dy
// fwd: p, x -> y        vjp: p, y, dy -> dx        p.n = number of elements; bindings and p from lib/unary

@compute @workgroup_size(WG)
fn sigmoid_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let e = exp_ieee(-abs(x[i])); // in [0, 1]: never overflows; NaN stays NaN
  y[i] = select(e, 1.0, x[i] >= 0.0) / (1.0 + e);
}

@compute @workgroup_size(WG)
fn sigmoid_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[i] * ((1.0 - y[i]) * y[i]);
}
// #import common
// #import unary
