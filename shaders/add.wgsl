// add: y = a + b (broadcasting);  da = dy, db = dy at the output shape (autograd sums them back)
// fwd: p, a, b -> y        vjp: p, dy -> dx (for input p.wrt); bindings and p from lib/broadcast
// fns: add_f(a, b), add_da(a, b, dy), add_db(a, b, dy) (for the fusion generator; a, b unused: 0.0)

fn add_f(a: f32, b: f32) -> f32 { return a + b; }
fn add_da(a: f32, b: f32, dy: f32) -> f32 { return dy; }
fn add_db(a: f32, b: f32, dy: f32) -> f32 { return dy; }

@compute @workgroup_size(WG)
fn add_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  y[i] = add_f(a[at.x], b[at.y]);
}

@compute @workgroup_size(WG)
fn add_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let g = dy[i]; // a and b are not bound: the gradients need neither
  dx[i] = select(add_da(0.0, 0.0, g), add_db(0.0, 0.0, g), p.wrt == 1u);
}
// #import common
// #import broadcast
