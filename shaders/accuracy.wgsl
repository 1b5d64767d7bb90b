// accuracy: y = (1/N) sum_i [argmax_j scores_ij == labels_i], the first maximum winning ties (NaN wins)
// fwd: p, scores, labels -> y (one workgroup)        no VJP (a metric)
// p.n = rows N, p.c = classes C
struct P { n: u32, c: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> err: Invalid;

@compute @workgroup_size(WG)
fn accuracy_fwd(@builtin(local_invocation_index) t: u32) {
  var correct = 0.0;
  for (var i = t; i < p.n; i += WG) {
    let b = i * p.c;
    var best = 0u;
    for (var j = 1u; j < p.c; j++) {
      if (beats(scores[b + j], j, scores[b + best], best)) { best = j; }
    }
    let l = labels[i];
    if (l < 0 || l >= i32(p.c)) { report_invalid(i, l); } // counted as wrong
    correct += select(0.0, 1.0, i32(best) == l);
  }
  let sum = tree_sum(t, correct);
  if (t == 0u) { y[0] = sum / f32(p.n); }
}

// #import common
// #import reduce
// #import check
