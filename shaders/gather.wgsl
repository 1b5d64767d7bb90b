// gather: y[i, c] = x[index[offset + i], c] (rows of x, any 32-bit dtype: copied as bits; an index
// out of range gives zeros);  dx[r, c] = sum over i with index[offset + i] == r of dy[i, c]
// fwd: p, x, index -> y (one invocation per y element)   vjp: p, index, dy -> dx (one per dx element)
struct P { n: u32, cols: u32, offset: u32, rows: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

// fwd: p.rows is the number of rows of x
@compute @workgroup_size(WG)
fn gather_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let r = index[p.offset + i / p.cols];
  var v = 0u;
  if (r >= 0 && u32(r) < p.rows) { v = x[u32(r) * p.cols + i % p.cols]; }
  y[i] = v;
}

// vjp: p.rows is the window's length (rows of dy)
@compute @workgroup_size(WG)
fn gather_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = invocation(gid, nwg);
  if (e >= p.n) { return; }
  let r = i32(e / p.cols);
  let c = e % p.cols;
  var s = 0.0;
  for (var i = 0u; i < p.rows; i++) {
    if (index[p.offset + i] == r) { s += dy[i * p.cols + c]; }
  }
  dx[e] = s;
}

// #import common
