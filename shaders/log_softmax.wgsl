// log_softmax: y = x - max - log sum exp(x - max) along the axis (one invocation per lane);
// vjp: dx = dy - exp(y) sum(dy) along the same lane.  fwd: p, x -> y   vjp: p, y, dy -> dx
// p, bindings, lane_base, lane_max and lane_exp_sum from lib/lanes

@compute @workgroup_size(WG)
fn log_softmax_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let l = invocation(gid, nwg);
  if (l >= p.lanes) { return; }
  let b = lane_base(l);
  let m = lane_max(b);
  let s = lane_exp_sum(b, m);
  let ls = log_ieee(s); // (x - max) - log s: exact 0 - ls at the max even for large logits
  for (var j = 0u; j < p.n; j++) { y[b + j * p.inner] = (x[b + j * p.inner] - m) - ls; }
}

@compute @workgroup_size(WG)
fn log_softmax_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let l = invocation(gid, nwg);
  if (l >= p.lanes) { return; }
  let b = lane_base(l);
  var total = 0.0;
  for (var j = 0u; j < p.n; j++) { total += dy[b + j * p.inner]; }
  for (var j = 0u; j < p.n; j++) { let k = b + j * p.inner; dx[k] = dy[k] - exp_ieee(y[k]) * total; }
}
// #import common
// #import lanes
