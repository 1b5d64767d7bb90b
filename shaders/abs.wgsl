// abs: y = |x| (the sign bit cleared: |-0| = 0, NaN stays NaN);  dx = dy sign(x), a product as in
// PyTorch (grad * sgn(x)), with sign(±0) = sign(NaN) = 0: so dy = NaN or ±Infinity at x = 0 gives NaN
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements; bindings and p from lib/unary

@compute @workgroup_size(WG)
fn abs_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = bitcast<f32>(bitcast<u32>(x[i]) & 0x7fffffffu); // NOTE: not abs(): exact for -0 and NaN on any device
}

@compute @workgroup_size(WG)
fn abs_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let v = x[i];
  let s = select(0.0, 1.0, v > 0.0) - select(0.0, 1.0, v < 0.0); // torch.sign: 0 for ±0 and NaN (not WGSL's sign)
  dx[i] = dy[i] * s;
}
// #import common
// #import unary
