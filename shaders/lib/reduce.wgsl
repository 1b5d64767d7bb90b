// Reductions: strided offsets and workgroup tree reductions (call from uniform control flow).
var<workgroup> red_v: array<f32, WG>;
var<workgroup> red_i: array<u32, WG>;

// Offset of flat index i of a row-major shape (n axes) in a tensor with the given strides.
fn offset(i: u32, n: u32, shape: array<vec4u, 2>, strides: array<vec4u, 2>) -> u32 {
  if (n <= 1u) { return i * select(0u, strides[0].x, n == 1u); } // one axis (merged on the host): no div/mod
  var rest = i;
  var at = 0u;
  for (var k = i32(n) - 1; k >= 0; k--) {
    let d = dim(shape, u32(k));
    at += (rest % d) * dim(strides, u32(k));
    rest = rest / d;
  }
  return at;
}

// Sum of v over the workgroup's WG invocations; every invocation gets the result.
fn tree_sum(lid: u32, v: f32) -> f32 {
  red_v[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red_v[lid] += red_v[lid + s]; }
    workgroupBarrier();
  }
  let total = red_v[0];
  workgroupBarrier();
  return total;
}

// True if (bv, bi) beats (av, ai): NaN beats numbers, then larger, then lower index on ties.
fn beats(bv: f32, bi: u32, av: f32, ai: u32) -> bool {
  if (is_nan(av)) { return is_nan(bv) && bi < ai; }
  return is_nan(bv) || bv > av || (bv == av && bi < ai);
}

// Index of the first maximum of the (value, index) candidates of the workgroup; every invocation gets it.
fn tree_argmax(lid: u32, v: f32, i: u32) -> u32 {
  red_v[lid] = v;
  red_i[lid] = i;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s && beats(red_v[lid + s], red_i[lid + s], red_v[lid], red_i[lid])) {
      red_v[lid] = red_v[lid + s];
      red_i[lid] = red_i[lid + s];
    }
    workgroupBarrier();
  }
  let win = red_i[0];
  workgroupBarrier();
  return win;
}
// #import common
