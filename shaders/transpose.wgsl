// transpose: y[i] = x[at(i)], y axis k = x axis perm[k];  dx[j] = dy[at'(j)] (the inverse permutation)
// fwd: p, x -> y        vjp: p, dy -> dx        one invocation per element, each written once
// p: n, rank; the shape written (y's, or x's for the vjp) and, per axis, the stride of the tensor read
struct P { n: u32, ndim: u32, shape: array<vec4u, 2>, src: array<vec4u, 2> }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn transpose_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = x[offset(i, p.ndim, p.shape, p.src)];
}

@compute @workgroup_size(WG)
fn transpose_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[offset(i, p.ndim, p.shape, p.src)];
}
// #import common
// #import reduce
