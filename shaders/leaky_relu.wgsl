// leaky_relu: y = x where x > 0, else slope x (NaN, ±0 and -Infinity take the slope: -0 stays -0)
// dx = dy where x > 0, else slope dy (as PyTorch's leaky_relu_backward: a NaN x takes the slope)
// fwd: p, x -> y        vjp: p, x, dy -> dx        p.n = number of elements, p.slope = negative slope
struct P { n: u32, slope: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn leaky_relu_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = select(x[i] * p.slope, x[i], x[i] > 0.0);
}

@compute @workgroup_size(WG)
fn leaky_relu_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = select(dy[i] * p.slope, dy[i], x[i] > 0.0); // the slope branch is a product, as in PyTorch
}
// #import common
