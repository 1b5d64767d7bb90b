// 2-D pooling (max_pool2d, avg_pool2d): params and bindings (kernelBindings: p, x, y, dy, dx) and the
// window geometry. p: n invocations; input h, w; output oh, ow; kernel kh, kw; stride sh, sw;
// padding ph, pw; cells: the VJP runs one invocation per window, each writing its cell (stride >= kernel);
// cells 2: 2x2 windows, stride 2, no padding, h and w even: the windows tile x (fast paths, pool_quad).
struct P { n: u32, h: u32, w: u32, oh: u32, ow: u32, kh: u32, kw: u32, sh: u32, sw: u32, ph: u32, pw: u32, cells: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

// The window of output (r, q) clipped to the input: rows [lo.x, hi.x), columns [lo.y, hi.y).
struct Window { lo: vec2u, hi: vec2u }
fn pool_window(r: u32, q: u32) -> Window {
  let start = vec2i(i32(r * p.sh) - i32(p.ph), i32(q * p.sw) - i32(p.pw));
  let end = min(start + vec2i(i32(p.kh), i32(p.kw)), vec2i(i32(p.h), i32(p.w)));
  return Window(vec2u(max(start, vec2i(0))), vec2u(end));
}

// The outputs whose windows cover input (ih, iw): rows [lo.x, hi.x), columns [lo.y, hi.y).
fn pool_covering(ih: u32, iw: u32) -> Window {
  let at = vec2i(i32(ih + p.ph), i32(iw + p.pw)); // position in the padded input
  let k = vec2i(i32(p.kh), i32(p.kw));
  let s = vec2i(i32(p.sh), i32(p.sw));
  // first r with r * s + k > at, i.e. r >= (at - k + 1) / s rounded up (0 if negative); last r with r * s <= at
  let a = at - k + vec2i(1);
  let lo = select(vec2i(0), (a + s - vec2i(1)) / s, a > vec2i(0));
  let hi = min(at / s + vec2i(1), vec2i(i32(p.oh), i32(p.ow)));
  return Window(vec2u(lo), vec2u(max(hi, lo)));
}

// Where windows do not overlap (stride >= kernel), the input splits into cells, one per window: its
// stride-by-stride block (the first from row and column 0, the last to the end), which holds the window.
fn pool_cell(r: u32, q: u32) -> Window {
  let start = max(vec2i(i32(r * p.sh) - i32(p.ph), i32(q * p.sw) - i32(p.pw)), vec2i(0));
  let next = vec2i(i32((r + 1u) * p.sh) - i32(p.ph), i32((q + 1u) * p.sw) - i32(p.pw));
  let end = select(next, vec2i(i32(p.h), i32(p.w)), vec2u(r, q) + vec2u(1u) == vec2u(p.oh, p.ow));
  return Window(vec2u(start), vec2u(end));
}

// Where cells is 2: the flat index in x of window o's top-left element (the others: + 1, + w, + w + 1).
fn pool_quad(o: u32) -> u32 {
  let plane = o / (p.oh * p.ow);
  let rest = o - plane * p.oh * p.ow;
  let r = rest / p.ow;
  return plane * p.h * p.w + 2u * r * p.w + 2u * (rest - r * p.ow);
}

// A sum that starts at +0 is never -0 (PyTorch's results); a compiler that drops the + 0.0 would give -0.
fn pool_plus_zero(v: f32) -> f32 { return select(v, 0.0, v == 0.0); }

// Stores output element i (y, or dx). A fused kernel (src/backend/webgpu/fused.ts) replaces this
// function to run elementwise ops on the value first (the epilogue: ReLU's VJP after the pool's).
fn emit(O: ptr<storage, array<f32>, read_write>, i: u32, v: f32) {
  (*O)[i] = v;
}
