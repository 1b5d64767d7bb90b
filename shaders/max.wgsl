// max: y[g] = x at the first maximum of group g (NaN wins);  dx = dy[g] there, 0 elsewhere in the group
// fwd: p, x -> y     vjp: p, x, dy -> dx (recomputes each argmax and writes its whole group)
// both: a workgroup per output group, or an invocation per group if p.serial; p and bindings from lib/axes

fn at(r: u32) -> u32 { return offset(r, p.nr, p.rshape, p.rstr); }

// The first maximum (value, position in the group) among elements start, start + step, ... of a group.
struct Best { v: f32, i: u32 }
fn best(base: u32, start: u32, step: u32) -> Best {
  var b = Best(neg_inf(), 0xffffffffu);
  for (var r = start; r < p.count; r += step) {
    let v = x[base + at(r)];
    if (beats(v, r, b.v, b.i)) { b = Best(v, r); }
  }
  return b;
}

// Writes dy[g] at position win of the group and 0 at its elements start, start + step, ...
fn route(g: u32, base: u32, win: u32, start: u32, step: u32) {
  for (var r = start; r < p.count; r += step) { dx[base + at(r)] = select(0.0, dy[g], r == win); }
}

@compute @workgroup_size(WG)
fn max_fwd(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  if (p.serial == 1u) {
    let g = group_id(wid, nwg) * WG + lid;
    if (g < p.groups) { y[g] = best(offset(g, p.nk, p.kshape, p.kstr), 0u, 1u).v; }
    return;
  }
  let g = group_id(wid, nwg);
  if (g >= p.groups) { return; }
  let base = offset(g, p.nk, p.kshape, p.kstr);
  let b = best(base, lid, WG);
  let win = tree_argmax(lid, b.v, b.i);
  if (lid == 0u) { y[g] = x[base + at(win)]; }
}

@compute @workgroup_size(WG)
fn max_vjp(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  if (p.serial == 1u) {
    let g = group_id(wid, nwg) * WG + lid;
    if (g < p.groups) {
      let base = offset(g, p.nk, p.kshape, p.kstr);
      route(g, base, best(base, 0u, 1u).i, 0u, 1u);
    }
    return;
  }
  let g = group_id(wid, nwg);
  if (g >= p.groups) { return; }
  let base = offset(g, p.nk, p.kshape, p.kstr);
  let b = best(base, lid, WG);
  route(g, base, tree_argmax(lid, b.v, b.i), lid, WG);
}
// #import common
// #import reduce
// #import axes
