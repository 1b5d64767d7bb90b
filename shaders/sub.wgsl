// sub: y = a - b (broadcasting);  da = dy, db = -dy at the output shape (autograd sums them back)
// fwd: p, a, b -> y        vjp: p, dy -> dx (for input p.wrt); bindings and p from lib/broadcast
// fns: sub_f(a, b), sub_da(a, b, dy), sub_db(a, b, dy) (for the fusion generator; a, b unused: 0.0)

fn sub_f(a: f32, b: f32) -> f32 { return a - b; }
fn sub_da(a: f32, b: f32, dy: f32) -> f32 { return dy; }
fn sub_db(a: f32, b: f32, dy: f32) -> f32 { return -dy; }

@compute @workgroup_size(WG)
fn sub_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  y[i] = sub_f(a[at.x], b[at.y]);
}

@compute @workgroup_size(WG)
fn sub_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let g = dy[i]; // a and b are not bound: the gradients need neither
  dx[i] = select(sub_da(0.0, 0.0, g), sub_db(0.0, 0.0, g), p.wrt == 1u);
}
// #import common
// #import broadcast
