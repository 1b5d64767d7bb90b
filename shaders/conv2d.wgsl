// conv2d: y[n,o,i,j] = b[o] + sum_{c,kh,kw} x[n, g CG + c, i SH - PH + kh DH, j SW - PW + kw DW] w[o,c,kh,kw], g = o / OCG
// vjp: dx = dy transposed-convolved with w;  dw[o,c,kh,kw] = sum_{n,i,j} dy[n,o,i,j] x[...];  db[o] = sum_{n,i,j} dy[n,o,i,j]
// fwd: p, x, w, b -> y   vjp: p, x, w, dy -> dx (input WRT: 0 x, 1 w, 2 b); sizes are pipeline constants, p.n the batch
// fwd, dx: an invocation per register block of outputs (BO channels x 8, 4 or 16 positions for BO = 8, 4, 1); dw: a
// workgroup per block of weights (BO channels x taps, as many), db: one per bias; both tree-summed over n, i, j
struct P { n: u32 }
override IC: u32; // x [N, IC, IH, IW]
override IH: u32;
override IW: u32;
override OC: u32; // y [N, OC, OH, OW]
override OH: u32;
override OW: u32;
override KH: u32; // w [OC, CG, KH, KW]
override KW: u32;
override SH: u32; // stride, padding, dilation
override SW: u32;
override PH: u32;
override PW: u32;
override DH: u32;
override DW: u32;
override G: u32; // groups of CG input and OCG output channels
override CG: u32;
override OCG: u32;
override BS: u32; // 1: b is a scalar
override WRT: u32;
override BO: u32; // channels per register block: 8, 4 or 1
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;

const LANES = vec4u(0u, 1u, 2u, 3u);

// Stores output element i (y, or dx / dw / db). A fused kernel (src/backend/webgpu/fused.ts)
// replaces this function to run elementwise ops on the value first (the epilogue: ReLU after a conv).
fn emit(O: ptr<storage, array<f32>, read_write>, i: u32, v: f32) {
  (*O)[i] = v;
}

@compute @workgroup_size(WG)
fn conv2d_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = invocation(gid, nwg);
  let np = OH * OW;
  let rc = conv2d_blocks(OCG, np);
  let rows = rc.x;
  let cols = rc.y;
  if (t >= p.n * G * rows * cols) { return; }
  // consecutive invocations take consecutive positions of the same channels: they share w and rows of x
  let cb = t % cols;
  let rb = (t / cols) % rows;
  let g = (t / (cols * rows)) % G;
  let n = t / (cols * rows * G);
  let xb = (n * IC + g * CG) * IH * IW;
  let kk = CG * KH * KW;
  if (BO == 8u) {
    // 8 output channels x 8 positions: each x value loaded serves 8 channels, each w value 8 positions
    let j0 = cb * 8u;
    let posA = min(vec4u(j0) + LANES, vec4u(np - 1u));
    let posB = min(vec4u(j0 + 4u) + LANES, vec4u(np - 1u));
    let ih0A = vec4i(posA / OW * SH) - i32(PH);
    let ih0B = vec4i(posB / OW * SH) - i32(PH);
    let iw0A = vec4i(posA % OW * SW) - i32(PW);
    let iw0B = vec4i(posB % OW * SW) - i32(PW);
    let o0 = rb * 8u;
    let wA = (g * OCG + min(vec4u(o0) + LANES, vec4u(OCG - 1u))) * kk;
    let wB = (g * OCG + min(vec4u(o0 + 4u) + LANES, vec4u(OCG - 1u))) * kk;
    var a: array<vec4f, 16>; // a[2 r + h]: channel o0 + r, positions j0 + 4 h ..
    for (var c = 0u; c < CG; c++) {
      let base = vec4u(xb + c * IH * IW);
      for (var kh = 0u; kh < KH; kh++) {
        let ihA = ih0A + i32(kh * DH);
        let ihB = ih0B + i32(kh * DH);
        let okA = (ihA >= vec4i(0)) & (ihA < vec4i(i32(IH)));
        let okB = (ihB >= vec4i(0)) & (ihB < vec4i(i32(IH)));
        let rowA = ihA * i32(IW);
        let rowB = ihB * i32(IW);
        let k0 = (c * KH + kh) * KW;
        for (var kw = 0u; kw < KW; kw++) {
          let xA = conv2d_xrow(base, okA, rowA, iw0A + i32(kw * DW));
          let xB = conv2d_xrow(base, okB, rowB, iw0B + i32(kw * DW));
          let k = k0 + kw;
          let w0 = w[wA.x + k];
          let w1 = w[wA.y + k];
          let w2 = w[wA.z + k];
          let w3 = w[wA.w + k];
          let w4 = w[wB.x + k];
          let w5 = w[wB.y + k];
          let w6 = w[wB.z + k];
          let w7 = w[wB.w + k];
          a[0] += w0 * xA;
          a[1] += w0 * xB;
          a[2] += w1 * xA;
          a[3] += w1 * xB;
          a[4] += w2 * xA;
          a[5] += w2 * xB;
          a[6] += w3 * xA;
          a[7] += w3 * xB;
          a[8] += w4 * xA;
          a[9] += w4 * xB;
          a[10] += w5 * xA;
          a[11] += w5 * xB;
          a[12] += w6 * xA;
          a[13] += w6 * xB;
          a[14] += w7 * xA;
          a[15] += w7 * xB;
        }
      }
    }
    let yb = n * OC + g * OCG;
    conv2d_put_y(yb, o0, j0, np, a[0], a[1]);
    conv2d_put_y(yb, o0 + 1u, j0, np, a[2], a[3]);
    conv2d_put_y(yb, o0 + 2u, j0, np, a[4], a[5]);
    conv2d_put_y(yb, o0 + 3u, j0, np, a[6], a[7]);
    conv2d_put_y(yb, o0 + 4u, j0, np, a[8], a[9]);
    conv2d_put_y(yb, o0 + 5u, j0, np, a[10], a[11]);
    conv2d_put_y(yb, o0 + 6u, j0, np, a[12], a[13]);
    conv2d_put_y(yb, o0 + 7u, j0, np, a[14], a[15]);
    return;
  }
  var acc: array<vec4f, 4>;
  if (BO == 4u) {
    // 4 output channels x 4 positions: each x value loaded serves 4 channels, each w value 4 positions
    let j0 = cb * 4u;
    let pos = min(vec4u(j0) + LANES, vec4u(np - 1u));
    let ih0 = vec4i(pos / OW * SH) - i32(PH);
    let iw0 = vec4i(pos % OW * SW) - i32(PW);
    let o0 = rb * 4u;
    let wr = (g * OCG + min(vec4u(o0) + LANES, vec4u(OCG - 1u))) * kk;
    for (var c = 0u; c < CG; c++) {
      let base = vec4u(xb + c * IH * IW);
      for (var kh = 0u; kh < KH; kh++) {
        let ih = ih0 + i32(kh * DH);
        let k0 = (c * KH + kh) * KW;
        for (var kw = 0u; kw < KW; kw++) {
          let xv = conv2d_x4(base, ih, iw0 + i32(kw * DW));
          let k = k0 + kw;
          acc[0] += w[wr.x + k] * xv;
          acc[1] += w[wr.y + k] * xv;
          acc[2] += w[wr.z + k] * xv;
          acc[3] += w[wr.w + k] * xv;
        }
      }
    }
    for (var r = 0u; r < 4u; r++) {
      if (o0 + r >= OCG) { break; }
      let o = g * OCG + o0 + r;
      let bias = b[select(o, 0u, BS == 1u)];
      for (var j = 0u; j < 4u; j++) {
        if (j0 + j < np) { emit(&y, (n * OC + o) * np + j0 + j, acc[r][j] + bias); }
      }
    }
  } else {
    // 1 output channel x 16 positions (4 rows of 4): each w value serves 16 positions
    let o = g * OCG + rb;
    let j0 = cb * 16u;
    var ih0: array<vec4i, 4>;
    var iw0: array<vec4i, 4>;
    for (var r = 0u; r < 4u; r++) {
      let pos = min(vec4u(j0 + r * 4u) + LANES, vec4u(np - 1u));
      ih0[r] = vec4i(pos / OW * SH) - i32(PH);
      iw0[r] = vec4i(pos % OW * SW) - i32(PW);
    }
    for (var c = 0u; c < CG; c++) {
      let base = vec4u(xb + c * IH * IW);
      for (var kh = 0u; kh < KH; kh++) {
        let k0 = o * kk + (c * KH + kh) * KW;
        for (var kw = 0u; kw < KW; kw++) {
          let wv = w[k0 + kw];
          let dh = i32(kh * DH);
          let dw = i32(kw * DW);
          for (var r = 0u; r < 4u; r++) { acc[r] += wv * conv2d_x4(base, ih0[r] + dh, iw0[r] + dw); }
        }
      }
    }
    let bias = b[select(o, 0u, BS == 1u)];
    for (var r = 0u; r < 4u; r++) {
      for (var j = 0u; j < 4u; j++) {
        let q = j0 + r * 4u + j;
        if (q < np) { emit(&y, (n * OC + o) * np + q, acc[r][j] + bias); }
      }
    }
  }
}

@compute @workgroup_size(WG)
fn conv2d_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
              @builtin(num_workgroups) nwg: vec3u) {
  if (WRT == 0u) { conv2d_dx(invocation(gid, nwg)); }
  else if (WRT == 1u) { conv2d_dw(group_id(wid, nwg), lid); }
  else { conv2d_db(group_id(wid, nwg), lid); }
}

// x at rows ih, columns iw from base (one per lane); 0 outside the input (the zero padding).
fn conv2d_x4(base: vec4u, ih: vec4i, iw: vec4i) -> vec4f {
  let ok = (ih >= vec4i(0)) & (ih < vec4i(i32(IH))) & (iw >= vec4i(0)) & (iw < vec4i(i32(IW)));
  let at = vec4u(select(vec4i(0), ih * i32(IW) + iw, ok)) + base;
  return select(vec4f(0.0), vec4f(x[at.x], x[at.y], x[at.z], x[at.w]), ok);
}

// Register blocks per group: BO = 8: 8 x 8, BO = 4: 4 x 4, BO = 1: 1 x 16 (rows x cols).
fn conv2d_blocks(rows: u32, cols: u32) -> vec2u {
  if (BO == 8u) { return vec2u((rows + 7u) / 8u, (cols + 7u) / 8u); }
  if (BO == 4u) { return vec2u((rows + 3u) / 4u, (cols + 3u) / 4u); }
  return vec2u(rows, (cols + 15u) / 16u);
}

// x at row offsets rowoff (valid where rowok) and columns iw from base; 0 outside the input.
fn conv2d_xrow(base: vec4u, rowok: vec4<bool>, rowoff: vec4i, iw: vec4i) -> vec4f {
  let ok = rowok & (iw >= vec4i(0)) & (iw < vec4i(i32(IW)));
  let at = vec4u(select(vec4i(0), rowoff + iw, ok)) + base;
  return select(vec4f(0.0), vec4f(x[at.x], x[at.y], x[at.z], x[at.w]), ok);
}

// y for channel o (of the group starting at channel yb of batch n) at positions j0 .. j0 + 7 below np: va, vb plus the bias.
fn conv2d_put_y(yb: u32, o: u32, j0: u32, np: u32, va: vec4f, vb: vec4f) {
  if (o >= OCG) { return; }
  let bias = b[select(yb % OC + o, 0u, BS == 1u)];
  let at = (yb + o) * np + j0;
  for (var j = 0u; j < 4u; j++) {
    if (j0 + j < np) { emit(&y, at + j, va[j] + bias); }
    if (j0 + 4u + j < np) { emit(&y, at + 4u + j, vb[j] + bias); }
  }
}

// dx for input channel c (of the group starting at channel xb of batch n) at positions j0 .. j0 + 7 below nq.
fn conv2d_put_dx(xb: u32, c: u32, j0: u32, nq: u32, va: vec4f, vb: vec4f) {
  if (c >= CG) { return; }
  let at = (xb + c) * nq + j0;
  for (var j = 0u; j < 4u; j++) {
    if (j0 + j < nq) { emit(&dx, at + j, va[j]); }
    if (j0 + 4u + j < nq) { emit(&dx, at + 4u + j, vb[j]); }
  }
}

// dy at output rows th / SH (row offsets oh, valid where okh) and columns tw / SW from base, where
// tw divides by SW and is in range: the output positions that read an input element through a tap.
fn conv2d_dy4(base: u32, oh: vec4i, okh: vec4<bool>, tw: vec4i) -> vec4f {
  let ok = okh & (tw >= vec4i(0)) & (tw % i32(SW) == vec4i(0)) & (tw < vec4i(i32(OW * SW)));
  let at = vec4u(select(vec4i(0), oh * i32(OW) + tw / i32(SW), ok)) + base;
  return select(vec4f(0.0), vec4f(dy[at.x], dy[at.y], dy[at.z], dy[at.w]), ok);
}

// The rows of taps [lo, hi) that reach dy from some input row th - PH in [thMin, thMax] - PH: the rest
// of the taps (rows near the edges, the zero padding of the transposed convolution) are skipped.
fn conv2d_dx_rows(thMin: i32, thMax: i32) -> vec2u {
  let past = thMin - i32(OH * SH) + 1; // th - kh DH < OH SH
  let lo = select(0, (past + i32(DH) - 1) / i32(DH), past > 0);
  let hi = min(i32(KH), thMax / i32(DH) + 1); // th - kh DH >= 0
  return vec2u(u32(lo), u32(max(hi, lo)));
}

// dx[n, c, ih, iw] = sum over the group's output channels o and taps (kh, kw) with
// ih + PH - kh DH = oh SH and iw + PW - kw DW = ow SW in range of dy[n, o, oh, ow] w[o, c, kh, kw].
fn conv2d_dx(t: u32) {
  let nq = IH * IW;
  let rc = conv2d_blocks(CG, nq);
  let rows = rc.x;
  let cols = rc.y;
  if (t >= p.n * G * rows * cols) { return; }
  // consecutive invocations take the same block of another sample: SIMD lanes share their taps' range
  let n = t % p.n;
  let rest = t / p.n;
  let g = rest % G;
  let rb = (rest / G) % rows;
  let cb = rest / (G * rows);
  let kk = KH * KW;
  let ohs = vec4i(i32(OH * SH));
  if (BO == 8u) {
    // 8 input channels x 8 positions: each dy value loaded serves 8 channels, each w value 8 positions
    let j0 = cb * 8u;
    let posA = min(vec4u(j0) + LANES, vec4u(nq - 1u));
    let posB = min(vec4u(j0 + 4u) + LANES, vec4u(nq - 1u));
    let th0A = vec4i(posA / IW) + i32(PH);
    let th0B = vec4i(posB / IW) + i32(PH);
    let tw0A = vec4i(posA % IW) + i32(PW);
    let tw0B = vec4i(posB % IW) + i32(PW);
    let c0 = rb * 8u;
    let wcA = min(vec4u(c0) + LANES, vec4u(CG - 1u)) * kk;
    let wcB = min(vec4u(c0 + 4u) + LANES, vec4u(CG - 1u)) * kk;
    let khs = conv2d_dx_rows(th0A.x, th0B.w);
    var a: array<vec4f, 16>; // a[2 r + h]: channel c0 + r, positions j0 + 4 h ..
    for (var o = 0u; o < OCG; o++) {
      let oc = g * OCG + o;
      let gb = (n * OC + oc) * OH * OW;
      let wb = oc * CG * kk;
      for (var kh = khs.x; kh < khs.y; kh++) {
        let thA = th0A - i32(kh * DH);
        let thB = th0B - i32(kh * DH);
        let okA = (thA >= vec4i(0)) & (thA % i32(SH) == vec4i(0)) & (thA < ohs);
        let okB = (thB >= vec4i(0)) & (thB % i32(SH) == vec4i(0)) & (thB < ohs);
        let ohA = thA / i32(SH);
        let ohB = thB / i32(SH);
        for (var kw = 0u; kw < KW; kw++) {
          let gA = conv2d_dy4(gb, ohA, okA, tw0A - i32(kw * DW));
          let gB = conv2d_dy4(gb, ohB, okB, tw0B - i32(kw * DW));
          let k = wb + kh * KW + kw;
          let w0 = w[k + wcA.x];
          let w1 = w[k + wcA.y];
          let w2 = w[k + wcA.z];
          let w3 = w[k + wcA.w];
          let w4 = w[k + wcB.x];
          let w5 = w[k + wcB.y];
          let w6 = w[k + wcB.z];
          let w7 = w[k + wcB.w];
          a[0] += w0 * gA;
          a[1] += w0 * gB;
          a[2] += w1 * gA;
          a[3] += w1 * gB;
          a[4] += w2 * gA;
          a[5] += w2 * gB;
          a[6] += w3 * gA;
          a[7] += w3 * gB;
          a[8] += w4 * gA;
          a[9] += w4 * gB;
          a[10] += w5 * gA;
          a[11] += w5 * gB;
          a[12] += w6 * gA;
          a[13] += w6 * gB;
          a[14] += w7 * gA;
          a[15] += w7 * gB;
        }
      }
    }
    let xb = n * IC + g * CG;
    conv2d_put_dx(xb, c0, j0, nq, a[0], a[1]);
    conv2d_put_dx(xb, c0 + 1u, j0, nq, a[2], a[3]);
    conv2d_put_dx(xb, c0 + 2u, j0, nq, a[4], a[5]);
    conv2d_put_dx(xb, c0 + 3u, j0, nq, a[6], a[7]);
    conv2d_put_dx(xb, c0 + 4u, j0, nq, a[8], a[9]);
    conv2d_put_dx(xb, c0 + 5u, j0, nq, a[10], a[11]);
    conv2d_put_dx(xb, c0 + 6u, j0, nq, a[12], a[13]);
    conv2d_put_dx(xb, c0 + 7u, j0, nq, a[14], a[15]);
    return;
  }
  var acc: array<vec4f, 4>;
  if (BO == 4u) {
    // 4 input channels x 4 positions: each dy value loaded serves 4 channels
    let j0 = cb * 4u;
    let pos = min(vec4u(j0) + LANES, vec4u(nq - 1u));
    let th0 = vec4i(pos / IW) + i32(PH);
    let tw0 = vec4i(pos % IW) + i32(PW);
    let c0 = rb * 4u;
    let wc = min(vec4u(c0) + LANES, vec4u(CG - 1u)) * kk;
    let khs = conv2d_dx_rows(th0.x, th0.w);
    for (var o = 0u; o < OCG; o++) {
      let oc = g * OCG + o;
      let gb = (n * OC + oc) * OH * OW;
      let wb = oc * CG * kk;
      for (var kh = khs.x; kh < khs.y; kh++) {
        let th = th0 - i32(kh * DH);
        let okh = (th >= vec4i(0)) & (th % i32(SH) == vec4i(0)) & (th < ohs);
        let oh = th / i32(SH);
        for (var kw = 0u; kw < KW; kw++) {
          let gv = conv2d_dy4(gb, oh, okh, tw0 - i32(kw * DW));
          let k = wb + kh * KW + kw;
          acc[0] += w[k + wc.x] * gv;
          acc[1] += w[k + wc.y] * gv;
          acc[2] += w[k + wc.z] * gv;
          acc[3] += w[k + wc.w] * gv;
        }
      }
    }
    for (var r = 0u; r < 4u; r++) {
      if (c0 + r >= CG) { break; }
      let c = g * CG + c0 + r;
      for (var j = 0u; j < 4u; j++) {
        if (j0 + j < nq) { emit(&dx, (n * IC + c) * nq + j0 + j, acc[r][j]); }
      }
    }
  } else {
    // 1 input channel x 16 positions
    let c = g * CG + rb;
    let j0 = cb * 16u;
    var th0: array<vec4i, 4>;
    var tw0: array<vec4i, 4>;
    for (var r = 0u; r < 4u; r++) {
      let pos = min(vec4u(j0 + r * 4u) + LANES, vec4u(nq - 1u));
      th0[r] = vec4i(pos / IW) + i32(PH);
      tw0[r] = vec4i(pos % IW) + i32(PW);
    }
    let khs = conv2d_dx_rows(th0[0].x, th0[3].w);
    for (var o = 0u; o < OCG; o++) {
      let oc = g * OCG + o;
      let gb = (n * OC + oc) * OH * OW;
      let wb = (oc * CG + rb) * kk;
      for (var kh = khs.x; kh < khs.y; kh++) {
        for (var r = 0u; r < 4u; r++) {
          let th = th0[r] - i32(kh * DH);
          let okh = (th >= vec4i(0)) & (th % i32(SH) == vec4i(0)) & (th < ohs);
          let oh = th / i32(SH);
          for (var kw = 0u; kw < KW; kw++) {
            acc[r] += w[wb + kh * KW + kw] * conv2d_dy4(gb, oh, okh, tw0[r] - i32(kw * DW));
          }
        }
      }
    }
    for (var r = 0u; r < 4u; r++) {
      for (var j = 0u; j < 4u; j++) {
        let q = j0 + r * 4u + j;
        if (q < nq) { emit(&dx, (n * IC + c) * nq + q, acc[r][j]); }
      }
    }
  }
}

// Workgroup sums of 8 partial sums per invocation: each invocation stashes two vec4s, then after a
// barrier invocation j < 8 adds up component j over the workgroup (conv2d_total). Small and scalar:
// SwiftShader's cost per workgroup grows with its workgroup memory (8 KiB made a db 3x slower).
var<workgroup> conv2d_red: array<f32, 8 * WG>;
fn conv2d_stash(lid: u32, i: u32, v: vec4f) {
  let at = 4u * i * WG + lid;
  conv2d_red[at] = v.x;
  conv2d_red[at + WG] = v.y;
  conv2d_red[at + 2u * WG] = v.z;
  conv2d_red[at + 3u * WG] = v.w;
}
fn conv2d_total(j: u32) -> f32 {
  var t = 0.0;
  for (var l = 0u; l < WG; l++) { t += conv2d_red[j * WG + l]; }
  return t;
}

// Sums the workgroup's dw at 8 (channel, tap) pairs and stores them: component j of (v0, v1) is dw
// for channel o0 + j / per (of the group starting at channel ob) at tap k0 + j % per, where in range.
fn conv2d_put_dw8(lid: u32, ob: u32, o0: u32, k0: u32, kk: u32, per: u32, v0: vec4f, v1: vec4f) {
  conv2d_stash(lid, 0u, v0);
  conv2d_stash(lid, 1u, v1);
  workgroupBarrier();
  for (var j = lid; j < 8u; j += WG) {
    let o = o0 + j / per;
    let k = k0 + j % per;
    let v = conv2d_total(j);
    if (o < OCG && k < kk) { emit(&dx, (ob + o) * kk + k, v); }
  }
  workgroupBarrier(); // the next call overwrites the slots
}

// dw[o, k] (k = (c, kh, kw) flattened) = sum over n and output positions (i, j) of
// dy[n, o, i, j] x[n, g CG + c, i SH - PH + kh DH, j SW - PW + kw DW]: the invocations of workgroup gi
// split the n x positions between them, then tree-sum their 16 partial sums.
fn conv2d_dw(gi: u32, lid: u32) {
  let kk = CG * KH * KW;
  let rc = conv2d_blocks(OCG, kk);
  let rows = rc.x;
  let cols = rc.y;
  if (gi >= G * rows * cols) { return; } // uniform: the whole workgroup
  let cb = gi % cols;
  let rb = (gi / cols) % rows;
  let g = gi / (cols * rows);
  let np = OH * OW;
  let total = p.n * np;
  if (BO == 8u) {
    // 8 output channels x 8 taps: each x value serves 8 channels, each dy value 8 taps
    let k0 = cb * 8u;
    let kA = min(vec4u(k0) + LANES, vec4u(kk - 1u));
    let kB = min(vec4u(k0 + 4u) + LANES, vec4u(kk - 1u));
    let coA = kA / (KH * KW) * IH * IW;
    let coB = kB / (KH * KW) * IH * IW;
    let dhA = vec4i((kA / KW) % KH * DH) - i32(PH);
    let dhB = vec4i((kB / KW) % KH * DH) - i32(PH);
    let dwA = vec4i(kA % KW * DW) - i32(PW);
    let dwB = vec4i(kB % KW * DW) - i32(PW);
    let o0 = rb * 8u;
    let gA = (g * OCG + min(vec4u(o0) + LANES, vec4u(OCG - 1u))) * np;
    let gB = (g * OCG + min(vec4u(o0 + 4u) + LANES, vec4u(OCG - 1u))) * np;
    var a: array<vec4f, 16>; // a[2 r + h]: channel o0 + r, taps k0 + 4 h ..
    for (var q = lid; q < total; q += WG) {
      let n = q / np;
      let pp = q % np;
      let xb = vec4u((n * IC + g * CG) * IH * IW);
      let ih = i32(pp / OW * SH);
      let iw = i32(pp % OW * SW);
      let xA = conv2d_x4(coA + xb, dhA + ih, dwA + iw);
      let xB = conv2d_x4(coB + xb, dhB + ih, dwB + iw);
      let gb = n * OC * np + pp;
      let d0 = dy[gb + gA.x];
      let d1 = dy[gb + gA.y];
      let d2 = dy[gb + gA.z];
      let d3 = dy[gb + gA.w];
      let d4 = dy[gb + gB.x];
      let d5 = dy[gb + gB.y];
      let d6 = dy[gb + gB.z];
      let d7 = dy[gb + gB.w];
      a[0] += d0 * xA;
      a[1] += d0 * xB;
      a[2] += d1 * xA;
      a[3] += d1 * xB;
      a[4] += d2 * xA;
      a[5] += d2 * xB;
      a[6] += d3 * xA;
      a[7] += d3 * xB;
      a[8] += d4 * xA;
      a[9] += d4 * xB;
      a[10] += d5 * xA;
      a[11] += d5 * xB;
      a[12] += d6 * xA;
      a[13] += d6 * xB;
      a[14] += d7 * xA;
      a[15] += d7 * xB;
    }
    let ob = g * OCG; // a[2 r], a[2 r + 1]: channel o0 + r's taps k0 .. k0 + 7
    conv2d_put_dw8(lid, ob, o0, k0, kk, 8u, a[0], a[1]);
    conv2d_put_dw8(lid, ob, o0 + 1u, k0, kk, 8u, a[2], a[3]);
    conv2d_put_dw8(lid, ob, o0 + 2u, k0, kk, 8u, a[4], a[5]);
    conv2d_put_dw8(lid, ob, o0 + 3u, k0, kk, 8u, a[6], a[7]);
    conv2d_put_dw8(lid, ob, o0 + 4u, k0, kk, 8u, a[8], a[9]);
    conv2d_put_dw8(lid, ob, o0 + 5u, k0, kk, 8u, a[10], a[11]);
    conv2d_put_dw8(lid, ob, o0 + 6u, k0, kk, 8u, a[12], a[13]);
    conv2d_put_dw8(lid, ob, o0 + 7u, k0, kk, 8u, a[14], a[15]);
    return;
  }
  var acc: array<vec4f, 4>;
  if (BO == 4u) {
    // 4 output channels x 4 taps: each x value serves 4 channels, each dy value 4 taps
    let k0 = cb * 4u;
    let k = min(vec4u(k0) + LANES, vec4u(kk - 1u));
    let co = k / (KH * KW) * IH * IW;
    let dh = vec4i((k / KW) % KH * DH) - i32(PH);
    let dw = vec4i(k % KW * DW) - i32(PW);
    let o0 = rb * 4u;
    let go = (g * OCG + min(vec4u(o0) + LANES, vec4u(OCG - 1u))) * np;
    for (var q = lid; q < total; q += WG) {
      let n = q / np;
      let pp = q % np;
      let xv = conv2d_x4(co + (n * IC + g * CG) * IH * IW, dh + i32(pp / OW * SH), dw + i32(pp % OW * SW));
      let gb = n * OC * np + pp;
      acc[0] += dy[gb + go.x] * xv;
      acc[1] += dy[gb + go.y] * xv;
      acc[2] += dy[gb + go.z] * xv;
      acc[3] += dy[gb + go.w] * xv;
    }
    conv2d_put_dw8(lid, g * OCG, o0, k0, kk, 4u, acc[0], acc[1]); // acc[r]: channel o0 + r's taps k0 .. k0 + 3
    conv2d_put_dw8(lid, g * OCG, o0 + 2u, k0, kk, 4u, acc[2], acc[3]);
  } else {
    // 1 output channel x 16 taps
    let o = g * OCG + rb;
    let k0 = cb * 16u;
    var co: array<vec4u, 4>;
    var dh: array<vec4i, 4>;
    var dw: array<vec4i, 4>;
    for (var r = 0u; r < 4u; r++) {
      let k = min(vec4u(k0 + r * 4u) + LANES, vec4u(kk - 1u));
      co[r] = k / (KH * KW) * IH * IW;
      dh[r] = vec4i((k / KW) % KH * DH) - i32(PH);
      dw[r] = vec4i(k % KW * DW) - i32(PW);
    }
    for (var q = lid; q < total; q += WG) {
      let n = q / np;
      let pp = q % np;
      let gv = dy[(n * OC + o) * np + pp];
      let xb = vec4u((n * IC + g * CG) * IH * IW);
      let ih = i32(pp / OW * SH);
      let iw = i32(pp % OW * SW);
      for (var r = 0u; r < 4u; r++) { acc[r] += gv * conv2d_x4(co[r] + xb, dh[r] + ih, dw[r] + iw); }
    }
    conv2d_put_dw8(lid, g * OCG, rb, k0, kk, 16u, acc[0], acc[1]); // acc[r]: taps k0 + 4 r ..
    conv2d_put_dw8(lid, g * OCG, rb, k0 + 8u, kk, 16u, acc[2], acc[3]);
  }
}

// db[o] = sum of dy[n, o, i, j] over n, i, j (for a scalar b, of all of dy): workgroup gi sums channel gi.
fn conv2d_db(gi: u32, lid: u32) {
  if (gi >= select(OC, 1u, BS == 1u)) { return; } // uniform: the whole workgroup
  let np = OH * OW;
  var s = 0.0;
  if (BS == 1u) {
    for (var q = lid; q < p.n * OC * np; q += WG) { s += dy[q]; }
  } else { // no division per element: SwiftShader's integer division is slow
    for (var n = 0u; n < p.n; n++) {
      let base = (n * OC + gi) * np;
      for (var q = lid; q < np; q += WG) { s += dy[base + q]; }
    }
  }
  conv2d_red[lid] = s;
  workgroupBarrier();
  if (lid == 0u) { emit(&dx, gi, conv2d_total(0u)); }
}

// #import common
