// The spiral's decision regions: the model evaluated on a grid over the plane in one forward,
// each cell coloured by its argmax class, with the training points on top.
import * as cr from 'chainrule';

export const classColors = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#4b5563', '#ea580c'];
const regionColors = ['#bfdbfe', '#fecaca', '#bbf7d0', '#fde68a', '#ddd6fe', '#a5f3fc', '#fbcfe8', '#d9f99d', '#e5e7eb', '#fed7aa'];

const grid = 100;
const extent = 1.15; // the spiral lies in [-1, 1]^2; a margin shows where the regions go beyond it

export interface Points {
  x: Float32Array; // [N, 2], interleaved
  y: Int32Array; // [N]
}

/** The grid's cell centres, row by row from the top, as [grid*grid, 2]. */
function gridPoints(): Float32Array {
  const xy = new Float32Array(grid * grid * 2);
  for (let row = 0; row < grid; row++) {
    for (let col = 0; col < grid; col++) {
      const k = row * grid + col;
      xy[2 * k] = -extent + ((col + 0.5) * 2 * extent) / grid;
      xy[2 * k + 1] = extent - ((row + 0.5) * 2 * extent) / grid;
    }
  }
  return xy;
}

/** Evaluates the model on the grid (one forward and argmax on the device, one readback of the classes) and redraws the canvas. */
export async function drawRegions(canvas: HTMLCanvasElement, model: cr.nn.Module, points: Points): Promise<void> {
  const best = await cr.noGrad(() => model.forward(cr.tensor(gridPoints(), [grid * grid, 2])).argmax(-1)).data();
  const cells = document.createElement('canvas');
  cells.width = cells.height = grid;
  const cellCtx = cells.getContext('2d')!;
  const image = cellCtx.createImageData(grid, grid);
  for (let k = 0; k < grid * grid; k++) image.data.set([...hexToRgb(regionColors[best[k] % regionColors.length]), 255], 4 * k);
  cellCtx.putImageData(image, 0, 0);

  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false; // crisp cells: the boundary is where the argmax changes
  ctx.drawImage(cells, 0, 0, canvas.width, canvas.height);
  drawPoints(ctx, canvas, points);
}

/** The training points alone (before the model has been evaluated). */
export function drawPointsOnly(canvas: HTMLCanvasElement, points: Points): void {
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#f9fafb';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  drawPoints(ctx, canvas, points);
}

function drawPoints(ctx: CanvasRenderingContext2D, canvas: HTMLCanvasElement, { x, y }: Points): void {
  const toPx = (v: number, size: number) => ((v + extent) / (2 * extent)) * size;
  ctx.lineWidth = 1;
  ctx.strokeStyle = '#111827';
  for (let i = 0; i < y.length; i++) {
    ctx.fillStyle = classColors[y[i] % classColors.length];
    ctx.beginPath();
    ctx.arc(toPx(x[2 * i], canvas.width), canvas.height - toPx(x[2 * i + 1], canvas.height), 3.5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
}

function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
