// The interface of the broadcasting ternary ops (where; bindings from kernelBindings: p, cond, a, b, y,
// dy, dx), built by whereParams in src/ops/where.ts: n outputs, ndim, wrt (the VJP's input), cint (1 if
// cond is int32, else float bits), then mc, ma, mb: when nonzero, that operand is a trailing block of the
// output (same shape, scalar, row) at i % m; otherwise the output shape and the operands' strides in
// output axes (0 where broadcast). cond is read as bits: any 32-bit dtype.
struct P { n: u32, ndim: u32, wrt: u32, cint: u32, mc: u32, ma: u32, mb: u32, shape: array<vec4u, 2>, sc: array<vec4u, 2>, sa: array<vec4u, 2>, sb: array<vec4u, 2> }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> cond: array<u32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;

// Where output element i reads cond, a and b.
fn operands3(i: u32) -> vec3u {
  if (p.mc != 0u && p.ma != 0u && p.mb != 0u) {
    // NOTE: integer division is slow on some devices (SwiftShader scalarises it): skip i % m when m covers i.
    var at = vec3u(i, i, i);
    if (p.mc < p.n) { at.x = i % p.mc; }
    if (p.ma < p.n) { at.y = i % p.ma; }
    if (p.mb < p.n) { at.z = i % p.mb; }
    return at;
  }
  var rest = i;
  var at = vec3u(0u, 0u, 0u);
  for (var k = i32(p.ndim) - 1; k >= 0; k--) {
    let d = dim(p.shape, u32(k));
    let c = rest % d;
    rest = rest / d;
    at += c * vec3u(dim(p.sc, u32(k)), dim(p.sa, u32(k)), dim(p.sb, u32(k)));
  }
  return at;
}

// Whether cond element k is nonzero: an int32 is, unless 0; a float is, unless ±0 (NaN is nonzero).
fn truth(k: u32) -> bool {
  let w = cond[k];
  return select((w & 0x7fffffffu) != 0u, w != 0u, p.cint == 1u);
}
// #import common
