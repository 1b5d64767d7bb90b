// max_pool2d: y[o] = max of x over o's window (padding never chosen; a NaN wins);  dx[i] = sum of dy[o]
// over the windows o whose maximum is i: the first in row-major order, or the last NaN (PyTorch's rule)
// fwd: p, x -> y, an invocation per y;  vjp: p, x, y, dy -> dx, an invocation per window writing its cell
// (p.cells: stride >= kernel; 2: 2x2 windows tiling x), else per dx element, gathering (a window scanned only where x equals y)

@compute @workgroup_size(WG)
fn max_pool2d_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = invocation(gid, nwg);
  if (o >= p.n) { return; }
  if (p.cells == 2u) {
    let a = pool_quad(o);
    let top = max_pool2d_quad(a);
    emit(&y, o, x[a + (top & 1u) + (top >> 1u) * p.w]);
    return;
  }
  let q = o % p.ow;
  let r = (o / p.ow) % p.oh;
  let base = (o / (p.ow * p.oh)) * p.h * p.w;
  let win = pool_window(r, q);
  var best = neg_inf();
  for (var i = win.lo.x; i < win.hi.x; i++) {
    for (var k = win.lo.y; k < win.hi.y; k++) {
      let v = x[base + i * p.w + k];
      if (v > best || is_nan(v)) { best = v; }
    }
  }
  emit(&y, o, best);
}

// Which of a 2x2 window's elements (at a, a + 1, a + w, a + w + 1) is its maximum: 0 .. 3, by the rule of max_pool2d_argmax.
fn max_pool2d_quad(a: u32) -> u32 {
  let v = vec4f(x[a], x[a + 1u], x[a + p.w], x[a + p.w + 1u]);
  var at = 0u;
  for (var k = 1u; k < 4u; k++) {
    if (v[k] > v[at] || is_nan(v[k])) { at = k; }
  }
  return at;
}

// True if (ih, iw) is the maximum of the window win (of maximum m, which x[base + ih * w + iw] equals).
fn max_pool2d_wins(base: u32, win: Window, m: f32, ih: u32, iw: u32) -> bool {
  if (is_nan(m)) { // the last NaN: no NaN after (ih, iw)
    for (var i = ih; i < win.hi.x; i++) {
      for (var k = select(win.lo.y, iw + 1u, i == ih); k < win.hi.y; k++) {
        if (is_nan(x[base + i * p.w + k])) { return false; }
      }
    }
    return true;
  }
  for (var i = win.lo.x; i <= ih; i++) { // the first equal to m: none before (ih, iw)
    for (var k = win.lo.y; k < select(win.hi.y, iw, i == ih); k++) {
      if (x[base + i * p.w + k] == m) { return false; }
    }
  }
  return true;
}

// The maximum of window o: the first in row-major order, or the last NaN; its flat index in x.
fn max_pool2d_argmax(o: u32) -> u32 {
  let base = (o / (p.ow * p.oh)) * p.h * p.w;
  let win = pool_window((o / p.ow) % p.oh, o % p.ow);
  var best = neg_inf();
  var at = base + win.lo.x * p.w + win.lo.y;
  for (var i = win.lo.x; i < win.hi.x; i++) {
    for (var k = win.lo.y; k < win.hi.y; k++) {
      let v = x[base + i * p.w + k];
      if (v > best || is_nan(v)) {
        best = v;
        at = base + i * p.w + k;
      }
    }
  }
  return at;
}

@compute @workgroup_size(WG)
fn max_pool2d_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  if (p.cells == 2u) { // i is a 2x2 window (its cell)
    let a = pool_quad(i);
    let top = max_pool2d_quad(a);
    let g = pool_plus_zero(dy[i]);
    emit(&dx, a, select(0.0, g, top == 0u));
    emit(&dx, a + 1u, select(0.0, g, top == 1u));
    emit(&dx, a + p.w, select(0.0, g, top == 2u));
    emit(&dx, a + p.w + 1u, select(0.0, g, top == 3u));
    return;
  }
  if (p.cells == 1u) { // i is a window: dy[i] at its maximum, 0 elsewhere in its cell
    let top = max_pool2d_argmax(i);
    let base = (i / (p.ow * p.oh)) * p.h * p.w;
    let cell = pool_cell((i / p.ow) % p.oh, i % p.ow);
    let g = pool_plus_zero(dy[i]);
    for (var r = cell.lo.x; r < cell.hi.x; r++) {
      for (var k = cell.lo.y; k < cell.hi.y; k++) {
        let at = base + r * p.w + k;
        emit(&dx, at, select(0.0, g, at == top));
      }
    }
    return;
  }
  let iw = i % p.w;
  let ih = (i / p.w) % p.h;
  let plane = i / (p.w * p.h);
  let base = plane * p.h * p.w;
  let ybase = plane * p.oh * p.ow;
  let v = x[i];
  let cover = pool_covering(ih, iw);
  var acc = 0.0;
  for (var r = cover.lo.x; r < cover.hi.x; r++) {
    for (var q = cover.lo.y; q < cover.hi.y; q++) {
      let o = ybase + r * p.ow + q;
      let m = y[o];
      if ((v == m || (is_nan(v) && is_nan(m))) && max_pool2d_wins(base, pool_window(r, q), m, ih, iw)) { acc += dy[o]; }
    }
  }
  emit(&dx, i, pool_plus_zero(acc));
}
// #import common
// #import pool2d
