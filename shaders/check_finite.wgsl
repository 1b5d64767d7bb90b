// check_finite: the numerics guard (cr.init({ checkNumerics: true })): reports the first element of x
// that is NaN or +-Infinity, its bits as the value, in the error slot err; 8 elements per invocation
// p.n = number of elements of x (float32, read as bits)
struct P { n: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> err: Invalid;

@compute @workgroup_size(WG)
fn check_finite(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let first = invocation(gid, nwg) * 8u;
  for (var i = first; i < min(first + 8u, p.n); i++) {
    let bits = x[i];
    if ((bits & 0x7f800000u) == 0x7f800000u) { report_invalid(i, bitcast<i32>(bits)); } // exponent all ones
  }
}
// #import common
// #import check
