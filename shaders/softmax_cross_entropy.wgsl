// softmax_cross_entropy: y = (1/N) sum_i lse(z_i) - z_i[label_i], stable (shifted by the row max)
// vjp: dz_ij = (softmax(z_i)_j - [j == label_i]) dy[0] / N; fwd: one workgroup, vjp: one invocation per row
// fwd: p, logits, labels -> y   vjp: p, logits, labels, dy -> dx   p.n = rows N, p.c = classes C
struct P { n: u32, c: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> err: Invalid;

// Row max and sum of exp(z - max).
fn row_max_sum(i: u32) -> vec2f {
  let b = i * p.c;
  var m = logits[b];
  for (var j = 1u; j < p.c; j++) { let v = logits[b + j]; m = select(m, v, v > m || is_nan(v)); }
  var s = 0.0;
  for (var j = 0u; j < p.c; j++) { s += exp_ieee(logits[b + j] - m); } // Inf - Inf = NaN spreads, as in PyTorch
  return vec2f(m, s);
}
// The label of row i, or p.c when it is out of range: reported, and the row is left out (loss and
// gradient 0), so the parameters survive the step; the next read throws the error.
fn label(i: u32) -> u32 {
  let l = labels[i];
  if (l < 0 || l >= i32(p.c)) { report_invalid(i, l); return p.c; }
  return u32(l);
}

@compute @workgroup_size(WG)
fn softmax_cross_entropy_fwd(@builtin(local_invocation_index) t: u32) {
  var total = 0.0;
  for (var i = t; i < p.n; i += WG * 64u) { // chunks of 64 rows per thread keep the f32 sum accurate
    var chunk = 0.0;
    for (var r = i; r < min(p.n, i + WG * 64u); r += WG) {
      let ms = row_max_sum(r);
      let l = label(r);
      if (l < p.c) { chunk += (ms.x - logits[r * p.c + l]) + log_ieee(ms.y); }
    }
    total += chunk;
  }
  let sum = tree_sum(t, total);
  if (t == 0u) { y[0] = sum / f32(p.n); }
}

@compute @workgroup_size(WG)
fn softmax_cross_entropy_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  row_grad(i, row_max_sum(i), label(i), dy[0] / f32(p.n));
}

// Row i of dx from its max and sum (row_max_sum), its label (p.c: left out) and dy[0] / N.
fn row_grad(i: u32, ms: vec2f, l: u32, g: f32) {
  for (var j = 0u; j < p.c; j++) { dx[i * p.c + j] = select(exp_ieee(logits[i * p.c + j] - ms.x) / ms.y * g, 0.0, l == p.c); }
  if (l < p.c) { dx[i * p.c + l] -= g; }
}

// The forward and the VJP in one dispatch, launched as the forward (one workgroup): each row's max,
// sum and label are found once for both. Run when both are pending in one plan (src/fusion.ts).
@compute @workgroup_size(WG)
fn softmax_cross_entropy_fwd_vjp(@builtin(local_invocation_index) t: u32) {
  let g = dy[0] / f32(p.n);
  var total = 0.0;
  for (var i = t; i < p.n; i += WG * 64u) {
    var chunk = 0.0;
    for (var r = i; r < min(p.n, i + WG * 64u); r += WG) {
      let ms = row_max_sum(r);
      let l = label(r);
      if (l < p.c) { chunk += (ms.x - logits[r * p.c + l]) + log_ieee(ms.y); }
      row_grad(r, ms, l, g);
    }
    total += chunk;
  }
  let sum = tree_sum(t, total);
  if (t == 0u) { y[0] = sum / f32(p.n); }
}
// #import common
// #import reduce
// #import check
