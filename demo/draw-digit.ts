// A pad to draw a digit with the mouse (or a finger), and its conversion to an MNIST-like input.

/**
 * Makes `canvas` a drawing pad: white strokes on black, as MNIST. `onStroke` runs after each
 * stroke (pointer up), so a classification follows every change without running per pixel.
 */
export function digitPad(canvas: HTMLCanvasElement, onStroke: () => void): { clear(): void } {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  // Pointer position in canvas pixels (the element may be scaled by CSS).
  const at = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
  };
  let last: [number, number] | null = null;
  const line = (to: [number, number]) => {
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = canvas.width / 13; // about as thick, relative to the digit, as MNIST's pen
    ctx.lineCap = ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(...(last ?? to));
    ctx.lineTo(...to);
    ctx.stroke();
    last = to;
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId); // keep the stroke when the pointer leaves the pad
    last = null;
    line(at(e));
  });
  canvas.addEventListener('pointermove', (e) => last && line(at(e)));
  const end = () => {
    if (!last) return;
    last = null;
    onStroke();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  clear();
  return { clear };
}

/**
 * The drawing as MNIST's 784 values in [0, 1], or null if the pad is empty. MNIST digits are
 * scaled to fit 20x20 and centred by their centre of mass in 28x28; doing the same here is what
 * makes a mouse-drawn digit look like the training data.
 */
export function digitPixels(pad: HTMLCanvasElement): Float32Array | null {
  const box = inkBox(pad);
  if (!box) return null;
  const scale = 20 / Math.max(box.w, box.h);
  const [w, h] = [box.w * scale, box.h * scale];
  const draw = (dx: number, dy: number) => {
    const small = document.createElement('canvas');
    small.width = small.height = 28;
    const ctx = small.getContext('2d', { willReadFrequently: true })!;
    ctx.imageSmoothingQuality = 'high'; // averages the pad's pixels instead of picking some
    ctx.drawImage(pad, box.x, box.y, box.w, box.h, (28 - w) / 2 + dx, (28 - h) / 2 + dy, w, h);
    const rgba = ctx.getImageData(0, 0, 28, 28).data;
    return Float32Array.from({ length: 784 }, (_, i) => rgba[4 * i] / 255);
  };
  const centred = draw(0, 0);
  const [cx, cy] = centreOfMass(centred);
  return draw(14 - cx, 14 - cy);
}

/** The bounding box of the drawn (non-black) pixels. */
function inkBox(canvas: HTMLCanvasElement): { x: number; y: number; w: number; h: number } | null {
  const { width, height } = canvas;
  const rgba = canvas.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, width, height).data;
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (rgba[4 * (y * width + x)] < 32) continue;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

function centreOfMass(pixels: Float32Array): [number, number] {
  let [sum, sx, sy] = [0, 0, 0];
  pixels.forEach((v, i) => {
    sum += v;
    sx += v * ((i % 28) + 0.5);
    sy += v * (Math.floor(i / 28) + 0.5);
  });
  return sum > 0 ? [sx / sum, sy / sum] : [14, 14];
}
