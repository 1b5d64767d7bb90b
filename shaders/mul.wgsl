// mul: y = a b (broadcasting);  da = b dy, db = a dy at the output shape (autograd sums them back)
// fwd: p, a, b -> y        vjp: p, a, b, dy -> dx (for input p.wrt); bindings and p from lib/broadcast
// fns: mul_f(a, b), mul_da(a, b, dy), mul_db(a, b, dy) (for the fusion generator)

fn mul_f(a: f32, b: f32) -> f32 { return a * b; }
fn mul_da(a: f32, b: f32, dy: f32) -> f32 { return dy * b; }
fn mul_db(a: f32, b: f32, dy: f32) -> f32 { return dy * a; }

@compute @workgroup_size(WG)
fn mul_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  y[i] = mul_f(a[at.x], b[at.y]);
}

@compute @workgroup_size(WG)
fn mul_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  let u = a[at.x];
  let v = b[at.y];
  let g = dy[i];
  dx[i] = select(mul_da(u, v, g), mul_db(u, v, g), p.wrt == 1u);
}
// #import common
// #import broadcast
