// mean: y[g] = (f32 sum of x over group g) / count, NaN if count = 0;  dx[i] = dy[out(i)] / count
// fwd: p, x -> y (a workgroup per output, or an invocation per output if p.serial)   vjp: p, dy -> dx
// p: groups, count per group, kept/reduced ranks, n and rank of x, serial; kept and reduced shapes and
//    x strides; x's shape and the output strides of each x axis (0 where reduced)
struct P { groups: u32, count: u32, nk: u32, nr: u32, n: u32, ndim: u32, serial: u32, kshape: array<vec4u, 2>, kstr: array<vec4u, 2>, rshape: array<vec4u, 2>, rstr: array<vec4u, 2>, xshape: array<vec4u, 2>, ostr: array<vec4u, 2> }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

// Sum of the elements start, start + step, ... of group g.
fn part(g: u32, start: u32, step: u32) -> f32 {
  let base = offset(g, p.nk, p.kshape, p.kstr);
  var s = 0.0;
  for (var r = start; r < p.count; r += step) { s += x[base + offset(r, p.nr, p.rshape, p.rstr)]; }
  return s;
}
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
