// neg: y = -x;  dx = -dy
// fwd: p, x -> y        vjp: p, dy -> dx            p.n = number of elements; bindings and p from lib/unary
// fns: neg_f(x), neg_df(x, y, dy) (for the fusion generator; unsaved arguments get 0.0)

fn neg_f(x: f32) -> f32 { return -x; }
fn neg_df(x: f32, y: f32, dy: f32) -> f32 { return -dy; }

@compute @workgroup_size(WG)
fn neg_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = neg_f(x[i]);
}

@compute @workgroup_size(WG)
fn neg_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = neg_df(0.0, 0.0, dy[i]);
}
// #import common
// #import unary
