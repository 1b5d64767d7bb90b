// relu: y = max(0, x) (NaN and -0 stay);  dx = 0 where x <= 0 (subgradient 0 at 0), else dy (a NaN x too)
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements; bindings and p from lib/unary
// fns: relu_f(x), relu_df(x, y, dy) (for the fusion generator; unsaved arguments get 0.0)

// NOTE: a sign-bit test, not x < 0.0: NVIDIA's compiler makes max(x, 0) of the select, which loses
// NaN and -0. Negative numbers (sign set, not NaN, not -0) become 0.
fn relu_f(x: f32) -> f32 {
  let negative = (bitcast<u32>(x) >> 31u) == 1u && !is_nan(x) && x != 0.0;
  return select(x, 0.0, negative);
}

// NOTE: select, never dy * 0: a NaN or infinite dy must not leak
fn relu_df(x: f32, y: f32, dy: f32) -> f32 { return select(dy, 0.0, x <= 0.0); }

@compute @workgroup_size(WG)
fn relu_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = relu_f(x[i]);
}

@compute @workgroup_size(WG)
fn relu_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = relu_df(x[i], 0.0, dy[i]);
}
// #import common
// #import unary
