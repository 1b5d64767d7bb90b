// matmul: y = a @ b over the last two axes, batch axes broadcast;  da = dy @ b^T, db = a^T @ dy
// fwd: p, a, b -> y    vjp: p, a, b, dy -> dx (input p.wrt); each invocation computes a 4x4 block
// p: out = rows x cols per batch, summing `inner`; L(r, k) = L[l + r sLr + k sLk], R(k, c) = R[r0 + k sRk + c sRc]
struct P { threads: u32, rows: u32, cols: u32, inner: u32, sLr: u32, sLk: u32, sRk: u32, sRc: u32, ndim: u32, wrt: u32,
           shape: array<vec4u, 2>, sl: array<vec4u, 2>, sr: array<vec4u, 2> }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn matmul_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = invocation(gid, nwg);
  if (t < p.threads) { tile(&a, &b, &y, t); }
}

@compute @workgroup_size(WG)
fn matmul_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = invocation(gid, nwg);
  if (t >= p.threads) { return; }
  // da = dy @ b^T reads dy then b; db = a^T @ dy reads a then dy (the strides in p encode the transposes)
  if (p.wrt == 0u) { tile(&dy, &b, &dx, t); } else { tile(&a, &dy, &dx, t); }
}

// Writes the 4x4 block t of O = L @ R. Loads are clamped into range, so edge blocks need no branches
// in the inner loop; out-of-range results are simply not written.
fn tile(L: ptr<storage, array<f32>, read>, R: ptr<storage, array<f32>, read>, O: ptr<storage, array<f32>, read_write>, t: u32) {
  let tilesR = (p.rows + 3u) / 4u;
  let tilesC = (p.cols + 3u) / 4u;
  let s = t / (tilesR * tilesC);
  let r0 = ((t % (tilesR * tilesC)) / tilesC) * 4u;
  let c0 = (t % tilesC) * 4u;
  var lo = 0u;
  var ro = 0u;
  var rest = s;
  for (var k = i32(p.ndim) - 1; k >= 0; k--) { // batch index s -> offsets into L and R (0 stride: broadcast)
    let d = dim(p.shape, u32(k));
    lo += (rest % d) * dim(p.sl, u32(k));
    ro += (rest % d) * dim(p.sr, u32(k));
    rest = rest / d;
  }
  let rl = min(vec4u(r0, r0 + 1u, r0 + 2u, r0 + 3u), vec4u(p.rows - 1u)) * p.sLr + lo;
  let cr = min(vec4u(c0, c0 + 1u, c0 + 2u, c0 + 3u), vec4u(p.cols - 1u)) * p.sRc + ro;
  var acc: array<vec4f, 4>;
  for (var k = 0u; k < p.inner; k++) {
    let kr = k * p.sRk;
    let right = vec4f((*R)[cr.x + kr], (*R)[cr.y + kr], (*R)[cr.z + kr], (*R)[cr.w + kr]);
    let kl = k * p.sLk;
    acc[0] += (*L)[rl.x + kl] * right;
    acc[1] += (*L)[rl.y + kl] * right;
    acc[2] += (*L)[rl.z + kl] * right;
    acc[3] += (*L)[rl.w + kl] * right;
  }
  let base = s * p.rows * p.cols;
  for (var i = 0u; i < 4u; i++) {
    if (r0 + i >= p.rows) { break; }
    for (var j = 0u; j < 4u; j++) {
      if (c0 + j < p.cols) { (*O)[base + (r0 + i) * p.cols + c0 + j] = acc[i][j]; }
    }
  }
}
// #import common
