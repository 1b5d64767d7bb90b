// Line charts on a <canvas>, no library: stacked panels sharing the x axis (training steps).

export interface Series {
  name: string;
  color: string;
  points: readonly (readonly [number, number])[];
  /** Mark each point (for sparse series such as one test accuracy per epoch). */
  dots?: boolean;
}

export interface Panel {
  title: string;
  series: Series[];
  /** Fixed y range (e.g. [0, 1] for accuracy); default from the data, starting at 0. */
  y?: [number, number];
}

const margin = { left: 46, right: 12, top: 22, bottom: 24 };
const background = '#ffffff';

/** Redraws every panel from scratch: cheap at a few hundred points, and nothing to keep in sync. */
export function drawChart(canvas: HTMLCanvasElement, panels: Panel[], xMax: number): void {
  const ctx = fitToCss(canvas);
  const { width, height } = canvas.getBoundingClientRect();
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, width, height);
  const h = height / panels.length;
  panels.forEach((panel, i) => drawPanel(ctx, panel, { x: 0, y: i * h, w: width, h }, xMax));
}

/** Matches the drawing buffer to the element's CSS size times the pixel ratio, so lines stay sharp. */
function fitToCss(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const { width, height } = canvas.getBoundingClientRect();
  const ratio = window.devicePixelRatio || 1;
  const [w, h] = [Math.round(width * ratio), Math.round(height * ratio)];
  if (canvas.width !== w || canvas.height !== h) [canvas.width, canvas.height] = [w, h];
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

function drawPanel(ctx: CanvasRenderingContext2D, panel: Panel, box: { x: number; y: number; w: number; h: number }, xMax: number): void {
  const left = box.x + margin.left;
  const top = box.y + margin.top;
  const w = box.w - margin.left - margin.right;
  const h = box.h - margin.top - margin.bottom;
  const ys = panel.series.flatMap((s) => s.points.map(([, y]) => y)).filter(Number.isFinite);
  const [y0, y1] = panel.y ?? [0, ys.length > 0 ? Math.max(...ys, 1e-6) * 1.05 : 1];
  const px = (x: number) => left + (x / Math.max(xMax, 1)) * w;
  const py = (y: number) => top + h - ((y - y0) / (y1 - y0)) * h;

  // Frame, grid and labels.
  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeStyle = '#e5e7eb';
  ctx.fillStyle = '#6b7280';
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let k = 0; k <= 4; k++) {
    const y = y0 + ((y1 - y0) * k) / 4;
    ctx.beginPath();
    ctx.moveTo(left, py(y));
    ctx.lineTo(left + w, py(y));
    ctx.stroke();
    ctx.fillText(formatTick(y), left - 6, py(y));
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  if (xMax > 0) {
    ctx.fillText('0', left, top + h + 5);
    ctx.textAlign = 'right';
    ctx.fillText(`${xMax} step${xMax === 1 ? '' : 's'}`, left + w, top + h + 5);
  }

  // Title with a legend.
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  ctx.fillStyle = '#111827';
  ctx.font = '600 12px system-ui, sans-serif';
  ctx.fillText(panel.title, left, top - 8);
  let legendX = left + ctx.measureText(panel.title).width + 16;
  ctx.font = '11px system-ui, sans-serif';
  for (const s of panel.series) {
    ctx.fillStyle = s.color;
    ctx.fillRect(legendX, top - 15, 10, 3);
    ctx.fillStyle = '#374151';
    ctx.fillText(s.name, legendX + 14, top - 8);
    legendX += ctx.measureText(s.name).width + 30;
  }

  // The curves, clipped to the plot area.
  ctx.save();
  ctx.beginPath();
  ctx.rect(left - 4, top - 4, w + 8, h + 8); // room for dots on the edges
  ctx.clip();
  for (const s of panel.series) {
    ctx.strokeStyle = ctx.fillStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(px(x), py(y)) : ctx.lineTo(px(x), py(y))));
    ctx.stroke();
    if (s.dots || s.points.length === 1) {
      for (const [x, y] of s.points) {
        ctx.beginPath();
        ctx.arc(px(x), py(y), 3.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }
  ctx.restore();
}

function formatTick(v: number): string {
  return Math.abs(v) >= 10 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toFixed(2);
}
