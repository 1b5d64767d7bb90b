// maximum: y = max(a, b) (broadcasting; NaN if either is NaN);  at the output shape:
// da = dy unless a < b, db = dy unless a >= b, else 0 (ties route to a; a NaN routes to both)
// fwd: p, a, b -> y        vjp: p, a, b, dy -> dx (for input p.wrt); bindings and p from lib/broadcast
// fns: maximum_f(a, b), maximum_da(a, b, dy), maximum_db(a, b, dy) (for the fusion generator)

fn maximum_f(a: f32, b: f32) -> f32 { return select(select(a, b, a < b), b, is_nan(b)); } // a NaN in a already wins: a < b is false

// a is closed where b wins, b where a wins or ties (ties go to a); a NaN compares false: both get dy.
// NOTE: select, never dy * 0: a NaN or infinite dy must not leak
fn maximum_da(a: f32, b: f32, dy: f32) -> f32 { return select(dy, 0.0, a < b); }
fn maximum_db(a: f32, b: f32, dy: f32) -> f32 { return select(dy, 0.0, a >= b); }

@compute @workgroup_size(WG)
fn maximum_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  y[i] = maximum_f(a[at.x], b[at.y]);
}

@compute @workgroup_size(WG)
fn maximum_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let at = operands(i);
  let u = a[at.x];
  let v = b[at.y];
  let g = dy[i];
  dx[i] = select(maximum_da(u, v, g), maximum_db(u, v, g), p.wrt == 1u);
}
// #import common
// #import broadcast
