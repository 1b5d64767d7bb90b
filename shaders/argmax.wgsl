// argmax: y[g] = position along the axis of the first maximum of lane g, int32 (NaN counts as the
// maximum: the first NaN wins, as in torch.argmax); no VJP (not differentiable)
// fwd: p, x -> y: a workgroup per lane, or an invocation per lane if p.serial; p.lanes = outer * inner,
// p.n = axis length (>= 1), p.inner = stride of the axis: lane g starts at (g / inner) n inner + g % inner
struct P { lanes: u32, n: u32, inner: u32, serial: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<i32>;

fn lane_base(g: u32) -> u32 { return (g / p.inner) * p.n * p.inner + g % p.inner; }

// The first maximum (value, position) among positions start, start + step, ... of the lane at base.
struct Best { v: f32, i: u32 }
fn best(base: u32, start: u32, step: u32) -> Best {
  var b = Best(neg_inf(), 0xffffffffu); // loses to any element, -Infinity included (lower position)
  for (var r = start; r < p.n; r += step) {
    let v = x[base + r * p.inner];
    if (beats(v, r, b.v, b.i)) { b = Best(v, r); }
  }
  return b;
}

@compute @workgroup_size(WG)
fn argmax_fwd(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  if (p.serial == 1u) {
    let g = group_id(wid, nwg) * WG + lid;
    if (g < p.lanes) { y[g] = i32(best(lane_base(g), 0u, 1u).i); }
    return;
  }
  let g = group_id(wid, nwg);
  if (g >= p.lanes) { return; }
  let b = best(lane_base(g), lid, WG);
  let win = tree_argmax(lid, b.v, b.i);
  if (lid == 0u) { y[g] = i32(win); }
}
// #import common
// #import reduce
