/**
 * Kernel variants chosen by measurement on the user's device: at the first use of a shape class,
 * each variant of the kernel is timed on scratch buffers, and the fastest runs from then on.
 */
import type { Meta, Variants } from '../../ops/spec.ts';

/** What was chosen for one kernel and shape class, and why (what each variant took). */
export interface Tuned {
  /** The kernel: matmul_fwd, matmul_vjp (input 1). */
  readonly kernel: string;
  /** The shape class: each input's dims rounded up to a power of two. */
  readonly shapes: string;
  readonly variant: string;
  /** Milliseconds per dispatch of each variant; empty while measuring (the default runs meanwhile). */
  readonly ms: Readonly<Record<string, number>>;
  readonly by: 'measured' | 'measuring';
}

/** How variants are chosen: measured (default), the adapter's default, or forced per op ({ matmul: 'tiled' }). */
export interface TuneOptions {
  readonly autotune: boolean;
  readonly forced: Readonly<Record<string, string>>;
}

// A variant must beat the default by this much to replace it: timings of near-equal kernels are noise.
const MARGIN = 0.05;

// Choices by adapter, kept across init() calls on the same adapter.
const choices = new Map<string, Map<string, Tuned>>();

/**
 * Invariants: a shape class is measured at most once per adapter (in this page or process); measurements
 * run one at a time, after the work already submitted, on buffers of their own; until one ends,
 * the class runs its default, so results may change in the last bits when the choice lands.
 */
export class Autotune {
  readonly #choices: Map<string, Tuned>;
  #queue: Promise<void> = Promise.resolve();
  #live = true;

  constructor(
    adapter: string,
    private readonly software: boolean,
    private readonly options: TuneOptions,
  ) {
    if (!choices.has(adapter)) choices.set(adapter, new Map());
    this.#choices = choices.get(adapter)!;
  }

  /**
   * The variant to run for this kernel at these input shapes. At the first use of a shape class,
   * starts measuring: `time(variant)` gives a variant's milliseconds per dispatch.
   */
  choose(op: string, kernel: string, variants: Variants, inputs: readonly Meta[], time: (variant: string, bound: number) => Promise<number>): string {
    const fallback = this.software ? variants.software : variants.hardware;
    const forced = this.options.forced[op];
    if (forced !== undefined) return forced;
    if (!this.options.autotune) return fallback;
    const shapes = inputs.map((m) => `[${m.shape.map(bucket).join(',')}]`).join(' ');
    const key = `${kernel} ${shapes}`;
    const known = this.#choices.get(key);
    if (known) return known.variant;
    this.#choices.set(key, { kernel, shapes, variant: fallback, ms: {}, by: 'measuring' });
    this.#queue = this.#queue.then(async () => {
      if (!this.#live) return void this.#choices.delete(key); // never measured: the next device measures it
      const ms: Record<string, number> = {};
      try {
        // The default first: another variant stops at its first sample if that is far slower.
        ms[fallback] = await time(fallback, Infinity);
        for (const v of variants.names) if (v !== fallback) ms[v] = await time(v, 1.5 * ms[fallback]);
      } catch {
        return void this.#choices.delete(key); // the device went away mid-measurement
      }
      const best = variants.names.reduce((a, b) => (ms[b] < ms[a] ? b : a), fallback);
      const variant = ms[best] < ms[fallback] * (1 - MARGIN) ? best : fallback;
      this.#choices.set(key, { kernel, shapes, variant, ms, by: 'measured' });
    });
    return fallback;
  }

  /** Resolves once every measurement started so far has ended. */
  settled(): Promise<void> {
    return this.#queue;
  }

  /** Stops measuring (the device is going away); classes not measured yet are left for the next device. */
  close(): void {
    this.#live = false;
  }

  /** Every choice made on this adapter so far. */
  list(): Tuned[] {
    return [...this.#choices.values()];
  }
}

/** A dim rounded up to a power of two: shapes in one class share a kernel choice. */
function bucket(d: number): number {
  return d <= 2 ? d : 2 ** Math.ceil(Math.log2(d));
}

/**
 * Milliseconds per run of `encode(reps)`'s work, the best of a few samples after a warm-up that
 * compiles: a sample repeats the work to take ~4 ms (so a submit's own cost is small beside it);
 * slow work gets fewer samples (~50 ms of them at least two), and work slower than `bound` ms one.
 */
export async function timeRuns(encode: (reps: number) => void, done: () => Promise<void>, bound = Infinity): Promise<number> {
  const sample = async (reps: number) => {
    const t0 = performance.now();
    encode(reps);
    await done();
    return (performance.now() - t0) / reps;
  };
  await sample(1);
  let best = await sample(1);
  if (best > bound) return best;
  const reps = Math.min(256, Math.max(1, Math.ceil(4 / Math.max(best, 1e-3))));
  const samples = Math.max(2, Math.min(3, Math.floor(50 / (best * reps))));
  for (let i = 0; i < samples; i++) best = Math.min(best, await sample(reps));
  return best;
}
