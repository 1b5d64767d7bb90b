/** cr.profile(): where a step's time goes, kernel by kernel, grouped by op and by forward, backward and update. */
import type { KernelTime, Phase } from './backend/backend.ts';
import { currentBackend, deviceInfo } from './device.ts';
import { fail } from './errors.ts';
import { sync } from './executor.ts';

export interface ProfileOptions {
  /** Timed runs of fn (default 10); the report gives per-run averages. */
  steps?: number;
  /** Untimed runs first, to compile kernels and fill the buffer pool (default 2). */
  warmup?: number;
}

/** One kernel (an entry point of an op's shader) over the profiled runs, per run. */
export interface KernelRow {
  readonly kernel: string;
  readonly op: string;
  readonly phase: Phase;
  /** Dispatches (CPU: runs) per step. */
  readonly calls: number;
  readonly workgroups: number;
  /** Bytes bound per step: what the kernel's storages hold, which bounds what it reads and writes. */
  readonly bytes: number;
  /** Milliseconds per step; null without a clock for kernels (a GPU without timestamp-query). */
  readonly ms: number | null;
}

export interface Profile {
  readonly device: string;
  /** How kernels were timed: GPU timestamp queries, the CPU's clock, or not at all. */
  readonly clock: 'timestamp-query' | 'cpu-clock' | 'none';
  /** Why there is no clock, or what to know about it; '' when there is nothing to say. */
  readonly note: string;
  readonly steps: number;
  /** Wall-clock milliseconds per step (fn and the wait for the device), median over the runs. */
  readonly stepMs: number;
  /** Kernel time per step (the sum of `kernels`); null without a clock. */
  readonly kernelMs: number | null;
  readonly dispatches: number;
  /** Per kernel, slowest first. */
  readonly kernels: readonly KernelRow[];
  /** Per op, slowest first: forward, backward, update and check summed. */
  readonly ops: readonly { readonly op: string; readonly ms: number | null; readonly calls: number; readonly byPhase: Partial<Record<Phase, number>> }[];
  readonly phases: Partial<Record<Phase, number>>;
  /** The report as a Markdown table. */
  table(): string;
}

/**
 * Runs fn `warmup` times, then `steps` times with every kernel timed (on a GPU each dispatch gets a
 * pass of its own with timestamp queries, so the profiled step runs slower than a normal one: use
 * the kernel times to compare kernels, stepMs of an unprofiled run to time the step), and reports
 * per step: each kernel's time, calls, workgroups and bytes, per op, and per phase.
 */
export async function profile(fn: () => unknown, options: ProfileOptions = {}): Promise<Profile> {
  if (typeof fn !== 'function') fail('profile', `fn must be a function that runs one step, got ${fn === null ? 'null' : typeof fn}`);
  const { steps = 10, warmup = 2 } = options;
  if (!Number.isInteger(steps) || steps < 1) fail('profile', `steps must be a positive integer, got ${steps}`);
  if (!Number.isInteger(warmup) || warmup < 0) fail('profile', `warmup must be a whole number, got ${warmup}`);
  for (let i = 0; i < warmup; i++) {
    await fn();
    await sync();
  }
  const backend = currentBackend();
  const clock = backend.startProfile();
  const times: number[] = [];
  let kernels: KernelTime[];
  try {
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await fn();
      await sync();
      times.push(performance.now() - t0);
    }
  } finally {
    kernels = await backend.stopProfile();
  }
  return report(kernels, steps, clock, median(times));
}

function report(kernels: readonly KernelTime[], steps: number, clock: Profile['clock'], stepMs: number): Profile {
  const timed = clock !== 'none';
  const rows = new Map<string, { kernel: string; op: string; phase: Phase; calls: number; workgroups: number; bytes: number; ms: number }>();
  for (const k of kernels) {
    let row = rows.get(k.kernel);
    if (!row) rows.set(k.kernel, (row = { kernel: k.kernel, op: k.op, phase: k.phase, calls: 0, workgroups: 0, bytes: 0, ms: 0 }));
    row.calls++;
    row.workgroups += k.workgroups;
    row.bytes += k.bytes;
    row.ms += k.ms ?? 0;
  }
  const perStep = (v: number) => v / steps;
  const kernelRows: KernelRow[] = [...rows.values()]
    .map((r) => ({ ...r, calls: perStep(r.calls), workgroups: perStep(r.workgroups), bytes: perStep(r.bytes), ms: timed ? perStep(r.ms) : null }))
    .sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0) || b.calls - a.calls);
  const ops = new Map<string, { op: string; ms: number | null; calls: number; byPhase: Partial<Record<Phase, number>> }>();
  const phases: Partial<Record<Phase, number>> = {};
  for (const r of kernelRows) {
    let o = ops.get(r.op);
    if (!o) ops.set(r.op, (o = { op: r.op, ms: timed ? 0 : null, calls: 0, byPhase: {} }));
    o.calls += r.calls;
    if (timed) {
      o.ms! += r.ms!;
      o.byPhase[r.phase] = (o.byPhase[r.phase] ?? 0) + r.ms!;
      phases[r.phase] = (phases[r.phase] ?? 0) + r.ms!;
    }
  }
  const info = deviceInfo();
  const note =
    clock === 'none'
      ? `this adapter (${info.description}) has no timestamp-query: kernels are counted, not timed`
      : clock === 'cpu-clock'
        ? 'the CPU reference: kernel times are its own clock (performance.now())'
        : 'GPU timestamp queries, one pass per dispatch while profiling (browsers may round them to 0.1 ms)';
  const kernelMs = timed ? kernelRows.reduce((n, r) => n + r.ms!, 0) : null;
  const profile: Profile = {
    device: info.device === 'cpu' ? 'CPU reference' : info.description,
    clock,
    note,
    steps,
    stepMs,
    kernelMs,
    dispatches: kernelRows.reduce((n, r) => n + r.calls, 0),
    kernels: kernelRows,
    ops: [...ops.values()].sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0)),
    phases,
    table: () => table(profile),
  };
  return profile;
}

/** The report as Markdown: the totals, then each kernel (slowest first), then each op by phase. */
function table(p: Profile): string {
  const ms = (v: number | null | undefined) => (v === null || v === undefined ? '' : v.toFixed(3));
  const share = (v: number | null) => (v === null || !p.kernelMs ? '' : `${((100 * v) / p.kernelMs).toFixed(1)}%`);
  const lines = [
    `Profile on ${p.device} (${p.note}): ${p.steps} steps, ${p.stepMs.toFixed(2)} ms per step (wall), ` +
      `${p.kernelMs === null ? 'kernels untimed' : `${p.kernelMs.toFixed(2)} ms in kernels`}, ${p.dispatches} dispatches per step.`,
    '',
    '| kernel | phase | calls/step | workgroups/step | KiB bound/step | ms/step | share |',
    '|---|---|---|---|---|---|---|',
    ...p.kernels.map((k) => `| ${k.kernel} | ${k.phase} | ${k.calls} | ${k.workgroups} | ${(k.bytes / 1024).toFixed(1)} | ${ms(k.ms)} | ${share(k.ms)} |`),
    '',
    '| op | forward ms | backward ms | update ms | check ms | total ms | share |',
    '|---|---|---|---|---|---|---|',
    ...p.ops.map(
      (o) =>
        `| ${o.op} | ${ms(o.byPhase.forward)} | ${ms(o.byPhase.backward)} | ${ms(o.byPhase.update)} | ${ms(o.byPhase.check)} | ${ms(o.ms)} | ${share(o.ms)} |`,
    ),
  ];
  return lines.join('\n');
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
