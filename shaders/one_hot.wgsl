// one_hot: y[r, c] = 1 if labels[r] == c else 0 (a label outside [0, classes) is reported; its row is 0)
// fwd: p, labels -> y (one invocation per y element)        no VJP (labels are not differentiable)
// p: n = number of elements of y, classes
struct P { n: u32, classes: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> err: Invalid;

@compute @workgroup_size(WG)
fn one_hot_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  let r = i / p.classes;
  let l = labels[r];
  let valid = l >= 0 && l < i32(p.classes);
  if (!valid && i % p.classes == 0u) { report_invalid(r, l); } // once per row
  y[i] = select(0.0, 1.0, l == i32(i % p.classes));
}
// #import common
// #import check
