// sum: y[g] = sum of x over the reduced axes of group g (f32, tree-summed);  dx[i] = dy[out(i)]
// fwd: p, x -> y (a workgroup per output, or an invocation per output if p.serial)   vjp: p, dy -> dx
// p and bindings from lib/axes

@compute @workgroup_size(WG)
fn sum_fwd(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  if (p.serial == 1u) {
    let g = group_id(wid, nwg) * WG + lid;
    if (g < p.groups) { y[g] = part(g, 0u, 1u); }
    return;
  }
  let g = group_id(wid, nwg);
  if (g >= p.groups) { return; }
  let total = tree_sum(lid, part(g, lid, WG));
  if (lid == 0u) { y[g] = total; }
}

@compute @workgroup_size(WG)
fn sum_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[offset(i, p.ndim, p.xshape, p.ostr)];
}
// #import common
// #import reduce
// #import axes
