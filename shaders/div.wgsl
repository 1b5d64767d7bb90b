// div: y = a / b (broadcasting, IEEE at b = 0);  da = dy / b, db = -(a / b) / b dy (b * b could underflow)
// fwd: p, a, b -> y        vjp: p, a, b, dy -> dx (for input p.wrt); bindings and p from lib/broadcast
// fns: div_f(a, b), div_da(a, b, dy), div_db(a, b, dy) (for the fusion generator)

fn div_f(a: f32, b: f32) -> f32 { return a / b; }
fn div_da(a: f32, b: f32, dy: f32) -> f32 { return dy * (1.0 / b); }
fn div_db(a: f32, b: f32, dy: f32) -> f32 { return dy * (-(a / b) / b); } // not a / (b * b): b * b could underflow

@compute @workgroup_size(WG)
fn div_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  y[i] = div_f(a[at.x], b[at.y]);
}

@compute @workgroup_size(WG)
fn div_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  let u = a[at.x];
  let v = b[at.y];
  let g = dy[i];
  dx[i] = select(div_da(u, v, g), div_db(u, v, g), p.wrt == 1u);
}
// #import common
// #import broadcast
