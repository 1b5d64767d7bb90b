// Broadcasting: where output element i reads a and b. Needs p.ndim, p.shape (output), p.sa, p.sb
// (strides of a and b in output axes, 0 where broadcast) and p.ma, p.mb: when nonzero, the operand
// is a trailing block of the output (same shape, scalar, bias row) and sits at i % m, with no loop.
fn operands(i: u32) -> vec2u {
  if (p.ma != 0u && p.mb != 0u) { return vec2u(i % p.ma, i % p.mb); }
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
