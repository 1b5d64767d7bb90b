// mean: y[g] = (f32 sum of x over group g) / count, NaN if count = 0;  dx[i] = dy[out(i)] / count
// fwd: p, x -> y (a workgroup per output, or an invocation per output if p.serial)   vjp: p, dy -> dx
// p and bindings from lib/axes

fn average(s: f32) -> f32 { return select(s / f32(p.count), nan(), p.count == 0u); }

@compute @workgroup_size(WG)
fn mean_fwd(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  if (p.serial == 1u) {
    let g = group_id(wid, nwg) * WG + lid;
    if (g < p.groups) { y[g] = average(part(g, 0u, 1u)); }
    return;
  }
  let g = group_id(wid, nwg);
  if (g >= p.groups) { return; }
  let total = tree_sum(lid, part(g, lid, WG));
  if (lid == 0u) { y[g] = average(total); }
}

@compute @workgroup_size(WG)
fn mean_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[offset(i, p.ndim, p.xshape, p.ostr)] / f32(p.count);
}
// #import common
// #import reduce
// #import axes
