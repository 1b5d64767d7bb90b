/** The CS231n spiral: a small, non-linearly separable data set. */
import { fail } from '../errors.ts';
import { normals, rng } from '../random.ts';
import { tensor, type Tensor } from '../tensor.ts';

export interface SpiralOptions {
  classes?: number;
  /** Points per class. */
  points?: number;
  seed?: number;
}

/**
 * The CS231n toy set: `classes` interleaved spiral arms in 2-D, `points` per class.
 * Arm j: radius r from 0 to 1, angle t = 4j .. 4(j+1) plus N(0, 0.2) noise, x = (r sin t, r cos t).
 * Returns x [classes*points, 2] (float32) and labels y [classes*points] (int32).
 */
export function spiral({ classes = 3, points = 100, seed = 0 }: SpiralOptions = {}): { x: Tensor; y: Tensor } {
  if (!Number.isInteger(classes) || classes < 1) fail('spiral', `classes must be a positive integer, got ${classes}`);
  if (!Number.isInteger(points) || points < 2) fail('spiral', `points must be an integer >= 2, got ${points}`);
  const noise = normals(classes * points, rng(seed));
  const x = new Float32Array(classes * points * 2);
  const y = new Int32Array(classes * points);
  for (let j = 0; j < classes; j++) {
    for (let i = 0; i < points; i++) {
      const k = j * points + i;
      const r = i / (points - 1);
      const t = 4 * j + (4 * i) / (points - 1) + 0.2 * noise[k];
      x[2 * k] = r * Math.sin(t);
      x[2 * k + 1] = r * Math.cos(t);
      y[k] = j;
    }
  }
  return { x: tensor(x, [classes * points, 2]), y: tensor(y, [classes * points]) };
}
