// abs: y = |x| (the sign bit cleared: |-0| = 0, NaN stays NaN);  dx = dy sign(x), a product as in
// PyTorch (grad * sgn(x)), with sign(±0) = sign(NaN) = 0: so dy = NaN or ±Infinity at x = 0 gives NaN
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements; bindings and p from lib/unary
// fns: abs_f(x), abs_df(x, y, dy) (for the fusion generator; unsaved arguments get 0.0)

// NOTE: not abs(): exact for -0 and NaN on any device
fn abs_f(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) & 0x7fffffffu); }

// torch.sign: 0 for ±0 and NaN (not WGSL's sign)
fn abs_df(x: f32, y: f32, dy: f32) -> f32 {
  let s = select(0.0, 1.0, x > 0.0) - select(0.0, 1.0, x < 0.0);
  return dy * s;
}

@compute @workgroup_size(WG)
fn abs_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = abs_f(x[i]);
}

@compute @workgroup_size(WG)
fn abs_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = abs_df(x[i], 0.0, dy[i]);
}
// #import common
// #import unary
