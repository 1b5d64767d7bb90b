// svm_loss: y = (1/N) sum_i sum_{j != y_i} max(0, s_ij - s_iy + margin), NaN margins count (propagate)
// vjp: ds_ij = dy[0]/N per positive margin j != y_i, ds_iy = -(count) dy[0]/N; fwd: one workgroup
// fwd: p, scores, labels -> y   vjp: p, scores, labels, dy -> dx (one invocation per row)
// p.n = rows N, p.c = classes C, p.margin; labels out of range are clamped (the CPU side rejects them)
struct P { n: u32, c: u32, margin: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

fn label(i: u32) -> u32 { return u32(clamp(labels[i], 0, i32(p.c) - 1)); }
fn margin(i: u32, j: u32, l: u32) -> f32 { return scores[i * p.c + j] - scores[i * p.c + l] + p.margin; }

@compute @workgroup_size(WG)
fn svm_loss_fwd(@builtin(local_invocation_index) t: u32) {
  var total = 0.0;
  for (var i = t; i < p.n; i += WG * 64u) { // chunks of 64 rows per thread keep the f32 sum accurate
    var chunk = 0.0;
    for (var r = i; r < min(p.n, i + WG * 64u); r += WG) {
      let l = label(r);
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
  let g = dy[0] / f32(p.n);
  var count = 0.0;
  for (var j = 0u; j < p.c; j++) {
    let on = j != l && !(margin(i, j, l) <= 0.0);
    dx[i * p.c + j] = select(0.0, g, on);
    count += select(0.0, 1.0, on);
  }
  dx[i * p.c + l] = -count * g;
}
// #import common
// #import reduce
