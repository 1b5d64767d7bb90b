// svm_loss: y = (1/N) sum_i sum_{j != y_i} max(0, s_ij - s_iy + margin), NaN margins count (propagate)
// vjp: ds_ij = dy[0]/N per positive margin j != y_i, ds_iy = -(count) dy[0]/N; fwd: one workgroup
// fwd: p, scores, labels -> y   vjp: p, scores, labels, dy -> dx (one invocation per row)
// p.n = rows N, p.c = classes C, p.margin; a label out of range is reported and its row left out
struct P { n: u32, c: u32, margin: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> err: Invalid;

// The label of row i, or p.c when it is out of range: reported, and the row is left out (loss and
// gradient 0), so the parameters survive the step; the next read throws the error.
fn label(i: u32) -> u32 {
  let l = labels[i];
  if (l < 0 || l >= i32(p.c)) { report_invalid(i, l); return p.c; }
  return u32(l);
}
fn margin(i: u32, j: u32, l: u32) -> f32 { return scores[i * p.c + j] - scores[i * p.c + l] + p.margin; }

@compute @workgroup_size(WG)
fn svm_loss_fwd(@builtin(local_invocation_index) t: u32) {
  var total = 0.0;
  for (var i = t; i < p.n; i += WG * 64u) { // chunks of 64 rows per thread keep the f32 sum accurate
    var chunk = 0.0;
    for (var r = i; r < min(p.n, i + WG * 64u); r += WG) {
      let l = label(r);
      if (l == p.c) { continue; }
      for (var j = 0u; j < p.c; j++) {
        let m = margin(r, j, l);
        if (j != l && !(m <= 0.0)) { chunk += m; }
      }
    }
    total += chunk;
  }
  let sum = tree_sum(t, total);
  if (t == 0u) { y[0] = sum / f32(p.n); }
}

@compute @workgroup_size(WG)
fn svm_loss_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let l = label(i);
  if (l == p.c) {
    for (var j = 0u; j < p.c; j++) { dx[i * p.c + j] = 0.0; }
    return;
  }
  let g = dy[0] / f32(p.n);
  var count = 0.0;
  for (var j = 0u; j < p.c; j++) {
    let on = j != l && !(margin(i, j, l) <= 0.0);
    dx[i * p.c + j] = select(0.0, g, on);
    count += select(0.0, 1.0, on);
  }
  dx[i * p.c + l] = select(-count * g, 0.0, count == 0.0); // no positive margin: 0, even for a NaN dy
}
// #import common
// #import reduce
// #import check
