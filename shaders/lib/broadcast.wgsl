// The interface of every broadcasting binary op (bindings from kernelBindings: p, a, b, y, dy, dx),
// built by broadcastParams in src/ops/elementwise.ts: n outputs, ndim, wrt (the VJP's input), then
// ma, mb: when nonzero, a (b) is a trailing block of the output (same shape, scalar, bias row) at i % m;
// otherwise the output shape and a's and b's strides in output axes (0 where broadcast).
struct P { n: u32, ndim: u32, wrt: u32, ma: u32, mb: u32, shape: array<vec4u, 2>, sa: array<vec4u, 2>, sb: array<vec4u, 2> }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

// Where output element i reads a and b.
fn operands(i: u32) -> vec2u {
  if (p.ma != 0u && p.mb != 0u) {
    // NOTE: integer division is slow on some devices (SwiftShader scalarises it): skip i % n when n covers i.
    var at = vec2u(i, i);
    if (p.ma < p.n) { at.x = i % p.ma; }
    if (p.mb < p.n) { at.y = i % p.mb; }
    return at;
  }
  var rest = i;
  var at = vec2u(0u, 0u);
  for (var k = i32(p.ndim) - 1; k >= 0; k--) {
    let d = dim(p.shape, u32(k));
    let c = rest % d;
    rest = rest / d;
    at += c * vec2u(dim(p.sa, u32(k)), dim(p.sb, u32(k)));
  }
  return at;
}
// #import common
