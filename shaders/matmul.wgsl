// matmul: y = a @ b over the last two axes, batch axes broadcast;  da = dy @ b^T, db = a^T @ dy
// fwd: p, a, b -> y    vjp: p, a, b, dy -> dx (input p.wrt); each invocation a 4x4 block, each workgroup p.br x p.bc of them
// p: out = rows x cols per batch, summing `inner`; L(r, k) = L[l + r sLr + k sLk], R(k, c) = R[r0 + k sRk + c sRc]
struct P { batches: u32, rows: u32, cols: u32, inner: u32, sLr: u32, sLk: u32, sRk: u32, sRc: u32, ndim: u32, wrt: u32, br: u32, bc: u32,
           shape: array<vec4u, 2>, sl: array<vec4u, 2>, sr: array<vec4u, 2> }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn matmul_fwd(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  tile(&a, &b, &y, group_id(wid, nwg), lid);
}

@compute @workgroup_size(WG)
fn matmul_vjp(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  // da = dy @ b^T reads dy then b; db = a^T @ dy reads a then dy (the strides in p encode the transposes)
  if (p.wrt == 0u) { tile(&dy, &b, &dx, group_id(wid, nwg), lid); } else { tile(&a, &dy, &dx, group_id(wid, nwg), lid); }
}

// Adds L(r, k) R(k, c) for one k to the 4x4 block: rl and cr are the block's row and column offsets.
fn step(L: ptr<storage, array<f32>, read>, R: ptr<storage, array<f32>, read>, rl: vec4u, cr: vec4u, k: u32, acc: ptr<function, array<vec4f, 4>>) {
  let kr = k * p.sRk;
  let right = vec4f((*R)[cr.x + kr], (*R)[cr.y + kr], (*R)[cr.z + kr], (*R)[cr.w + kr]);
  let kl = k * p.sLk;
  (*acc)[0] += (*L)[rl.x + kl] * right;
  (*acc)[1] += (*L)[rl.y + kl] * right;
  (*acc)[2] += (*L)[rl.z + kl] * right;
  (*acc)[3] += (*L)[rl.w + kl] * right;
}

// Workgroup g computes a block of p.br x p.bc tiles of 4x4 outputs (64 tiles: 32 x 32 outputs when the
// matrix is wide enough): its invocations share rows of L and columns of R, which stay in cache.
// NOTE: on SwiftShader a workgroup runs on one CPU thread: a square block reads 8x less than a row of tiles.
// Loads are clamped into range, so edge blocks need no branches in the inner loop; out-of-range
// results are simply not written.
fn tile(L: ptr<storage, array<f32>, read>, R: ptr<storage, array<f32>, read>, O: ptr<storage, array<f32>, read_write>, g: u32, lid: u32) {
  let tilesR = (p.rows + 3u) / 4u;
  let tilesC = (p.cols + 3u) / 4u;
  let blocksR = (tilesR + p.br - 1u) / p.br;
  let blocksC = (tilesC + p.bc - 1u) / p.bc;
  let s = g / (blocksR * blocksC);
  if (s >= p.batches) { return; }
  let inBatch = g % (blocksR * blocksC);
  let r0 = ((inBatch / blocksC) * p.br + lid / p.bc) * 4u;
  let c0 = ((inBatch % blocksC) * p.bc + lid % p.bc) * 4u;
  if (r0 >= p.rows || c0 >= p.cols) { return; }
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
  var k = 0u;
  for (; k + 4u <= p.inner; k += 4u) { // unrolled by 4: independent loads between the adds
    step(L, R, rl, cr, k, &acc);
    step(L, R, rl, cr, k + 1u, &acc);
    step(L, R, rl, cr, k + 2u, &acc);
    step(L, R, rl, cr, k + 3u, &acc);
  }
  for (; k < p.inner; k++) { step(L, R, rl, cr, k, &acc); }
  let base = s * p.rows * p.cols;
  for (var i = 0u; i < 4u; i++) {
    if (r0 + i >= p.rows) { break; }
    for (var j = 0u; j < 4u; j++) {
      if (c0 + j < p.cols) { (*O)[base + (r0 + i) * p.cols + c0 + j] = acc[i][j]; }
    }
  }
}
// #import common
