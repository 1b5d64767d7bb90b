// matmul: y = a @ b over the last two axes, batch axes broadcast;  da = dy @ b^T, db = a^T @ dy
// fwd: p, a, b -> y    vjp: p, a, b, dy -> dx (input p.wrt); each invocation a 4x4 block of outputs
// Two variants, chosen per adapter and shape class by measurement (src/backend/webgpu/autotune.ts):
//   blocked (matmul_fwd, matmul_vjp): operands read from storage, each workgroup BR x BC blocks: suits CPUs (SwiftShader);
//   tiled (matmul_tiled_fwd, matmul_tiled_vjp): 32 x 32 outputs per workgroup from TK-deep tiles staged in workgroup memory: suits GPUs.
// constants: out = ROWS x COLS per batch, summing INNER; L(r, k) = L[l + r SLR + k SLK], R(k, c) = R[r + k SRK + c SRC]
struct P { batches: u32, ndim: u32, shape: array<vec4u, 2>, sl: array<vec4u, 2>, sr: array<vec4u, 2> }
// Sizes and strides are pipeline constants (one pipeline per shape): the compiler folds them.
override ROWS: u32;
override COLS: u32;
override INNER: u32;
override SLR: u32;
override SLK: u32;
override SRK: u32;
override SRC: u32;
override WRT: u32;
override BR: u32;
override BC: u32;
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
  // da = dy @ b^T reads dy then b; db = a^T @ dy reads a then dy (the strides encode the transposes)
  if (WRT == 0u) { tile(&dy, &b, &dx, group_id(wid, nwg), lid); } else { tile(&a, &dy, &dx, group_id(wid, nwg), lid); }
}

@compute @workgroup_size(64) // 8 x 8, whatever WG is
fn matmul_tiled_fwd(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  tiled(&a, &b, &y, group_id(wid, nwg), lid);
}

@compute @workgroup_size(64)
fn matmul_tiled_vjp(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  if (WRT == 0u) { tiled(&dy, &b, &dx, group_id(wid, nwg), lid); } else { tiled(&a, &dy, &dx, group_id(wid, nwg), lid); }
}

// Stores output element i. A fused kernel (src/backend/webgpu/fused.ts) replaces this function to run
// elementwise ops (bias, ReLU) on the value first: the matmul's epilogue.
fn emit(O: ptr<storage, array<f32>, read_write>, i: u32, v: f32) {
  (*O)[i] = v;
}

// R(k, c..c+3) for the block's columns.
fn right(R: ptr<storage, array<f32>, read>, cr: vec4u, k: u32) -> vec4f {
  let kr = k * SRK;
  return vec4f((*R)[cr.x + kr], (*R)[cr.y + kr], (*R)[cr.z + kr], (*R)[cr.w + kr]);
}

// L(r, k..k+3) for one row of the block.
fn left4(L: ptr<storage, array<f32>, read>, row: u32, k: u32) -> vec4f {
  return vec4f((*L)[row + k * SLK], (*L)[row + (k + 1u) * SLK], (*L)[row + (k + 2u) * SLK], (*L)[row + (k + 3u) * SLK]);
}

// Workgroup g computes a block of BR x BC tiles of 4x4 outputs (64 tiles: 32 x 32 outputs when the
// matrix is wide enough): its invocations share rows of L and columns of R, which stay in cache.
// NOTE: on SwiftShader a workgroup runs on one CPU thread: a square block reads 8x less than a row of tiles.
// Loads are clamped into range, so edge blocks need no branches in the inner loop; out-of-range
// results are simply not written.
fn tile(L: ptr<storage, array<f32>, read>, R: ptr<storage, array<f32>, read>, O: ptr<storage, array<f32>, read_write>, g: u32, lid: u32) {
  let tilesR = (ROWS + 3u) / 4u;
  let tilesC = (COLS + 3u) / 4u;
  let blocksR = (tilesR + BR - 1u) / BR;
  let blocksC = (tilesC + BC - 1u) / BC;
  let s = g / (blocksR * blocksC);
  if (s >= p.batches) { return; }
  let inBatch = g % (blocksR * blocksC);
  let r0 = ((inBatch / blocksC) * BR + lid / BC) * 4u;
  let c0 = ((inBatch % blocksC) * BC + lid % BC) * 4u;
  if (r0 >= ROWS || c0 >= COLS) { return; }
  let o = batch_offsets(s);
  let rl = min(vec4u(r0, r0 + 1u, r0 + 2u, r0 + 3u), vec4u(ROWS - 1u)) * SLR + o.x;
  let cr = min(vec4u(c0, c0 + 1u, c0 + 2u, c0 + 3u), vec4u(COLS - 1u)) * SRC + o.y;
  var acc: array<vec4f, 4>;
  var k = 0u;
  // Four k at a time, the four products summed before they reach the accumulator: short chains of
  // dependent adds (SwiftShader has no FMA, so each += waits on the last).
  for (; k + 4u <= INNER; k += 4u) {
    let r0 = right(R, cr, k);
    let r1 = right(R, cr, k + 1u);
    let r2 = right(R, cr, k + 2u);
    let r3 = right(R, cr, k + 3u);
    let l0 = left4(L, rl.x, k);
    let l1 = left4(L, rl.y, k);
    let l2 = left4(L, rl.z, k);
    let l3 = left4(L, rl.w, k);
    acc[0] += (l0.x * r0 + l0.y * r1) + (l0.z * r2 + l0.w * r3);
    acc[1] += (l1.x * r0 + l1.y * r1) + (l1.z * r2 + l1.w * r3);
    acc[2] += (l2.x * r0 + l2.y * r1) + (l2.z * r2 + l2.w * r3);
    acc[3] += (l3.x * r0 + l3.y * r1) + (l3.z * r2 + l3.w * r3);
  }
  for (; k < INNER; k++) {
    let r = right(R, cr, k);
    acc[0] += (*L)[rl.x + k * SLK] * r;
    acc[1] += (*L)[rl.y + k * SLK] * r;
    acc[2] += (*L)[rl.z + k * SLK] * r;
    acc[3] += (*L)[rl.w + k * SLK] * r;
  }
  let base = s * ROWS * COLS;
  for (var i = 0u; i < 4u; i++) {
    if (r0 + i >= ROWS) { break; }
    for (var j = 0u; j < 4u; j++) {
      if (c0 + j < COLS) { emit(O, base + (r0 + i) * COLS + c0 + j, acc[i][j]); }
    }
  }
}
// Offsets of batch s's matrices in L and R (a 0 stride broadcasts).
fn batch_offsets(s: u32) -> vec2u {
  var o = vec2u(0u);
  var rest = s;
  for (var k = i32(p.ndim) - 1; k >= 0; k--) {
    let d = dim(p.shape, u32(k));
    o += (rest % d) * vec2u(dim(p.sl, u32(k)), dim(p.sr, u32(k)));
    rest = rest / d;
  }
  return o;
}

// The tiled variant: a workgroup of 8 x 8 invocations computes 32 x 32 outputs. Each round, the
// workgroup stages L's 32 rows and R's 32 columns over TK values of k in workgroup memory (each
// element read from storage once per workgroup, not once per invocation), then each invocation
// sums its 4 x 4 block from there. k past INNER is staged as 0.
const TK: u32 = 16u;
var<workgroup> l_tile: array<f32, 512>; // [TK][32]: L(row, k) at k * 32 + row
var<workgroup> r_tile: array<f32, 512>; // [TK][32]: R(k, col) at k * 32 + col

fn tiled(L: ptr<storage, array<f32>, read>, R: ptr<storage, array<f32>, read>, O: ptr<storage, array<f32>, read_write>, g: u32, lid: u32) {
  let blocksC = (COLS + 31u) / 32u;
  let blocks = ((ROWS + 31u) / 32u) * blocksC;
  let s = g / blocks; // uniform across the workgroup: returning here keeps the barriers uniform
  if (s >= p.batches) { return; }
  let row0 = ((g % blocks) / blocksC) * 32u;
  let col0 = ((g % blocks) % blocksC) * 32u;
  let o = batch_offsets(s);
  let ty = lid / 8u;
  let tx = lid % 8u;
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < INNER; k0 += TK) {
    // 64 invocations stage 512 values of each operand: 8 each, k fastest (contiguous when SLK or SRK is 1).
    for (var i = 0u; i < 8u; i++) {
      let e = lid + i * 64u;
      let kk = e % TK;
      let k = k0 + kk;
      let inK = k < INNER;
      let kc = min(k, INNER - 1u);
      let r = min(row0 + e / TK, ROWS - 1u);
      let c = min(col0 + e / TK, COLS - 1u);
      l_tile[kk * 32u + e / TK] = select(0.0, (*L)[o.x + r * SLR + kc * SLK], inK);
      r_tile[kk * 32u + e / TK] = select(0.0, (*R)[o.y + kc * SRK + c * SRC], inK);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let lb = kk * 32u + ty * 4u;
      let rb = kk * 32u + tx * 4u;
      let lv = vec4f(l_tile[lb], l_tile[lb + 1u], l_tile[lb + 2u], l_tile[lb + 3u]);
      let rv = vec4f(r_tile[rb], r_tile[rb + 1u], r_tile[rb + 2u], r_tile[rb + 3u]);
      acc[0] += lv.x * rv;
      acc[1] += lv.y * rv;
      acc[2] += lv.z * rv;
      acc[3] += lv.w * rv;
    }
    workgroupBarrier();
  }
  let base = s * ROWS * COLS;
  let r0 = row0 + ty * 4u;
  let c0 = col0 + tx * 4u;
  for (var i = 0u; i < 4u; i++) {
    if (r0 + i >= ROWS) { break; }
    for (var j = 0u; j < 4u; j++) {
      if (c0 + j < COLS) { emit(O, base + (r0 + i) * COLS + c0 + j, acc[i][j]); }
    }
  }
}
// #import common
