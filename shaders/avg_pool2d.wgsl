// avg_pool2d: y[o] = (sum of x over o's window, padding as zeros) / (kh kw)  (count_include_pad)
// dx[i] = sum of dy[o] / (kh kw) over the windows o that cover i
// fwd: p, x -> y, an invocation per y;  vjp: p, dy -> dx, an invocation per window writing its cell
// (p.cells: stride >= kernel), else per dx element, gathering; p and bindings from lib/pool2d

@compute @workgroup_size(WG)
fn avg_pool2d_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = invocation(gid, nwg);
  if (o >= p.n) { return; }
  let q = o % p.ow;
  let r = (o / p.ow) % p.oh;
  let base = (o / (p.ow * p.oh)) * p.h * p.w;
  let win = pool_window(r, q);
  var sum = 0.0;
  for (var i = win.lo.x; i < win.hi.x; i++) {
    for (var k = win.lo.y; k < win.hi.y; k++) { sum += x[base + i * p.w + k]; }
  }
  emit(&y, o, pool_plus_zero(sum) / f32(p.kh * p.kw));
}

@compute @workgroup_size(WG)
fn avg_pool2d_vjp(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = invocation(gid, nwg);
  if (i >= p.n) { return; }
  if (p.cells >= 1u) { // i is a window: dy[i] / (kh kw) in it, 0 elsewhere in its cell
    let base = (i / (p.ow * p.oh)) * p.h * p.w;
    let r = (i / p.ow) % p.oh;
    let win = pool_window(r, i % p.ow);
    let cell = pool_cell(r, i % p.ow);
    let g = pool_plus_zero(dy[i] / f32(p.kh * p.kw));
    for (var ih = cell.lo.x; ih < cell.hi.x; ih++) {
      for (var iw = cell.lo.y; iw < cell.hi.y; iw++) {
        let inside = all(vec2u(ih, iw) >= win.lo) && all(vec2u(ih, iw) < win.hi);
        emit(&dx, base + ih * p.w + iw, select(0.0, g, inside));
      }
    }
    return;
  }
  let iw = i % p.w;
  let ih = (i / p.w) % p.h;
  let ybase = (i / (p.w * p.h)) * p.oh * p.ow;
  let cover = pool_covering(ih, iw);
  let count = f32(p.kh * p.kw);
  var acc = 0.0;
  for (var r = cover.lo.x; r < cover.hi.x; r++) {
    for (var q = cover.lo.y; q < cover.hi.y; q++) { acc += dy[ybase + r * p.ow + q] / count; }
  }
  emit(&dx, i, pool_plus_zero(acc));
}
// #import common
// #import pool2d
