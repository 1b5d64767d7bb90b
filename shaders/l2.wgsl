// l2: y = sum of x^2 over all elements;  dx = 2 x dy[0]
// fwd: p, x -> y (one workgroup of 64 striding over x, then a tree sum)        vjp: p, x, dy -> dx
// p.n = number of elements of x

@compute @workgroup_size(WG)
fn l2_fwd(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < p.n; i += WG) { s += x[i] * x[i]; }
  let total = tree_sum(lid, s);
  if (lid == 0u) { y[0] = total; }
}

@compute @workgroup_size(WG)
fn l2_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = 2.0 * x[i] * dy[0];
}
// #import common
// #import unary
// #import reduce
