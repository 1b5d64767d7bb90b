// softmax: y = exp(x - max) / sum exp(x - max) along the axis (one invocation per lane);
// vjp: dx = y (dy - sum(dy y)) along the same lane.  fwd: p, x -> y   vjp: p, y, dy -> dx
// p, bindings, lane_base, lane_max and lane_exp_sum from lib/lanes

@compute @workgroup_size(WG)
fn softmax_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let l = invocation(gid, nwg);
  if (l >= p.lanes) { return; }
  let b = lane_base(l);
  let m = lane_max(b);
  let s = lane_exp_sum(b, m);
  for (var j = 0u; j < p.n; j++) { y[b + j * p.inner] = exp_ieee(x[b + j * p.inner] - m) / s; }
}

@compute @workgroup_size(WG)
fn softmax_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let l = invocation(gid, nwg);
  if (l >= p.lanes) { return; }
  let b = lane_base(l);
  var dot = 0.0;
  for (var j = 0u; j < p.n; j++) { dot += dy[b + j * p.inner] * y[b + j * p.inner]; }
  for (var j = 0u; j < p.n; j++) { let k = b + j * p.inner; dx[k] = y[k] * (dy[k] - dot); }
}
// #import common
// #import lanes
