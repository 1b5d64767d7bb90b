// log: y = ln(x) (log(0) = -Infinity, log(x < 0) = NaN);  dx = dy / x
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements; bindings and p from lib/unary

@compute @workgroup_size(WG)
fn log_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let v = x[i]; // log of a negative or NaN is not NaN everywhere (SwiftShader: log |v| and garbage)
  y[i] = select(log(v), nan(), v < 0.0 || is_nan(v));
}

@compute @workgroup_size(WG)
fn log_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[i] * (1.0 / x[i]);
}
// #import common
// #import unary
