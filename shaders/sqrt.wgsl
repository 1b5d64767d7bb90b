// sqrt: y = sqrt(x);  dx = dy / (2 y) (reads the saved output)
// fwd: p, x -> y        vjp: p, y, dy -> dx        p.n = number of elements; bindings and p from lib/unary

@compute @workgroup_size(WG)
fn sqrt_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = sqrt(x[i]);
}

@compute @workgroup_size(WG)
fn sqrt_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[i] * (0.5 / y[i]);
}
// #import common
// #import unary
