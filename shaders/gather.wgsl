// gather: y[i, c] = x[index[offset + i], c] (rows of x, any 32-bit dtype: copied as bits; an index out
// of range is reported, its row is 0);  dx[r, c] = sum over i with index[offset + i] == r of dy[i, c]
// fwd: p, x, index -> y (one invocation per y element)   vjp: p, index, dy -> dx (one per dx element)
struct P { n: u32, cols: u32, offset: u32, window: u32, xrows: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> err: Invalid;

// fwd: p, x, index -> y; vjp: p, index, dy -> dx (p.window rows of dy; p.xrows rows of x and dx)
@compute @workgroup_size(WG)
fn gather_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let k = p.offset + i / p.cols;
  let r = index[k];
  var v = 0u;
  if (r >= 0 && u32(r) < p.xrows) { v = x[u32(r) * p.cols + i % p.cols]; }
  else if (i % p.cols == 0u) { report_invalid(k, r); } // once per row
  y[i] = v;
}

@compute @workgroup_size(WG)
fn gather_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = invocation(gid, nwg);
  if (e >= p.n) { return; }
  let r = i32(e / p.cols);
  let c = e % p.cols;
  var s = 0.0;
  for (var i = 0u; i < p.window; i++) {
    let k = index[p.offset + i];
    if (k == r) { s += dy[i * p.cols + c]; }
    if (e == 0u && (k < 0 || u32(k) >= p.xrows)) { report_invalid(p.offset + i, k); } // one invocation checks
  }
  dx[e] = s;
}

// #import common
// #import check
