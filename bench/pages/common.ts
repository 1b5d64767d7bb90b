// Shared by the benchmark pages: the device and environment header, timing (warm-up excluded,
// median of N, the GPU awaited), a results table that copies as Markdown and downloads as JSON,
// a log-log chart, and window.__bench, which `npm run bench` and the tests read.
import * as cr from 'chainrule';
import { format, toMarkdown, type Row } from './markdown.ts';

export { format, toMarkdown, type Row };

export interface Env {
  page: string;
  adapter: string;
  vendor: string;
  architecture: string;
  software: boolean;
  browser: string;
  date: string;
  methodology: string;
}

export interface BenchState {
  status: 'running' | 'done' | 'error';
  env: Env | null;
  rows: Row[];
  progress: string;
  error: string | null;
  /** Profiles (cr.profile) a page took, by name: where a step's time goes, kernel by kernel. */
  profiles?: Record<string, { clock: string; kernelMs: number | null; kernels: readonly cr.KernelRow[]; table: string }>;
  /** More Markdown tables a page made, by title (the peer page's kernel breakdowns): npm run bench prints them. */
  tables?: Record<string, string>;
}

declare global {
  interface Window {
    __bench: BenchState;
  }
}

export const state: BenchState = (window.__bench = { status: 'running', env: null, rows: [], progress: '', error: null });

/** Options from the query string: ?quick=1&repeats=10&warmup=2&sizes=1000,100000 */
export function options(defaults: { repeats: number; warmup: number }) {
  const q = new URLSearchParams(location.search);
  const quick = q.get('quick') === '1';
  const int = (name: string, fallback: number) => {
    const v = Number(q.get(name) ?? fallback);
    if (!Number.isInteger(v) || v < (name === 'warmup' ? 0 : 1)) throw new Error(`?${name} must be a whole number, got ${q.get(name)}`);
    return v;
  };
  const sizes = q.get('sizes')?.split(',').map(Number);
  if (sizes && !sizes.every((s) => Number.isInteger(s) && s > 0)) throw new Error(`?sizes must be positive whole numbers, got ${q.get('sizes')}`);
  return { quick, repeats: int('repeats', quick ? Math.min(5, defaults.repeats) : defaults.repeats), warmup: int('warmup', defaults.warmup), sizes };
}

/**
 * Inits WebGPU (the benchmarks compare it with the CPU reference) and fills the header: adapter,
 * software or not, browser, methodology. Without WebGPU the page says so and fails.
 */
export async function start(page: string, methodology: string): Promise<Env> {
  window.addEventListener('error', (e) => fail(e.error ?? e.message));
  window.addEventListener('unhandledrejection', (e) => fail(e.reason));
  let info: cr.DeviceInfo;
  try {
    info = await cr.init({ device: 'webgpu', quiet: true });
  } catch (e) {
    throw new Error(`this page compares WebGPU with the CPU and this browser gives no WebGPU adapter: ${(e as Error).message}`, { cause: e });
  }
  const env: Env = {
    page,
    adapter: info.description,
    vendor: info.vendor,
    architecture: info.architecture,
    software: info.software,
    browser: navigator.userAgent,
    date: new Date().toISOString(),
    methodology,
  };
  state.env = env;
  const header = document.getElementById('env');
  if (header) {
    header.innerHTML = '';
    const line = (label: string, text: string) => {
      const p = document.createElement('p');
      p.innerHTML = `<strong>${label}</strong> `;
      p.append(text);
      header.append(p);
    };
    line('Adapter', `${env.adapter}${env.software ? ' (software fallback: a CPU implementation of WebGPU)' : ''}`);
    line('Browser', env.browser);
    line('Method', methodology);
  }
  return env;
}

/** Shows an error on the page and in window.__bench; never swallowed. */
export function fail(error: unknown): void {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  state.status = 'error';
  state.error ??= message;
  console.error(message);
  const box = document.getElementById('error');
  if (box) {
    box.hidden = false;
    box.textContent = message;
  }
}

export function progress(text: string): void {
  state.progress = text;
  const el = document.getElementById('progress');
  if (el) el.textContent = text;
}

/** Runs `run` warmup times untimed, then `repeats` times, each timed until the device is idle (cr.sync). */
export async function time(run: () => unknown, { warmup, repeats }: { warmup: number; repeats: number }): Promise<{ median: number; min: number }> {
  for (let i = 0; i < warmup; i++) {
    run();
    await cr.sync();
  }
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    run();
    await cr.sync(); // the GPU's completion, not just the submit
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const m = samples.length >> 1;
  return { median: samples.length % 2 ? samples[m] : (samples[m - 1] + samples[m]) / 2, min: samples[0] };
}

/** Switches the device between measurements: the CPU reference or WebGPU (re-init keeps pipelines cheap). */
export async function use(device: cr.DeviceName): Promise<void> {
  if (cr.deviceInfo().device !== device) await cr.init({ device, quiet: true });
}

/** Renders the rows into #results with Copy-as-Markdown and Download-JSON buttons. */
export function showResults(rows: readonly Row[], columns: readonly string[]): void {
  state.rows = [...rows];
  const el = document.getElementById('results');
  if (!el) return;
  el.innerHTML = '';
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const c of columns) head.insertCell().outerHTML = `<th>${c}</th>`;
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const c of columns) tr.insertCell().textContent = typeof r[c] === 'number' ? format(r[c] as number) : String(r[c] ?? '');
  }
  const copy = button('Copy as Markdown', async () => {
    await navigator.clipboard.writeText(toMarkdown(rows, columns));
    copy.textContent = 'Copied';
  });
  const download = button('Download JSON', () => {
    const blob = new Blob([JSON.stringify({ env: state.env, rows }, null, 2)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `chainrule-${state.env?.page ?? 'bench'}-${new Date().toISOString().slice(0, 10)}.json`;
    a.click();
  });
  el.append(copy, download, table);
}

function button(text: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.textContent = text;
  b.addEventListener('click', onClick);
  return b;
}

export interface ChartSeries {
  name: string;
  color: string;
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
}

/** A log-log (or log-x) line chart with decade grid lines and a legend. */
export function logChart(canvas: HTMLCanvasElement, series: readonly ChartSeries[], labels: { x: string; y: string; logY?: boolean }): void {
  const ratio = window.devicePixelRatio || 1;
  const { width, height } = canvas.getBoundingClientRect();
  [canvas.width, canvas.height] = [Math.round(width * ratio), Math.round(height * ratio)];
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && (labels.logY === false || y > 0));
  if (pts.length === 0) return;
  const logY = labels.logY !== false;
  const fy = (y: number) => (logY ? Math.log10(y) : y);
  const [x0, x1] = [Math.floor(Math.log10(Math.min(...pts.map((p) => p[0])))), Math.ceil(Math.log10(Math.max(...pts.map((p) => p[0]))))];
  let [y0, y1] = [Math.min(...pts.map((p) => fy(p[1]))), Math.max(...pts.map((p) => fy(p[1])))];
  if (logY) [y0, y1] = [Math.floor(y0), Math.ceil(y1)];
  else [y0, y1] = [Math.min(0, y0), y1 * 1.1 || 1];
  const m = { l: 56, r: 12, t: 12, b: 36 };
  const X = (x: number) => m.l + ((Math.log10(x) - x0) / Math.max(x1 - x0, 1)) * (width - m.l - m.r);
  const Y = (y: number) => height - m.b - ((fy(y) - y0) / Math.max(y1 - y0, 1e-9)) * (height - m.t - m.b);
  ctx.strokeStyle = '#ddd';
  ctx.fillStyle = '#555';
  ctx.font = '11px sans-serif';
  for (let e = x0; e <= x1; e++) {
    const x = X(10 ** e);
    ctx.beginPath();
    ctx.moveTo(x, m.t);
    ctx.lineTo(x, height - m.b);
    ctx.stroke();
    ctx.fillText(`1e${e}`, x - 10, height - m.b + 14);
  }
  const yTicks = logY ? Array.from({ length: y1 - y0 + 1 }, (_, i) => 10 ** (y0 + i)) : Array.from({ length: 5 }, (_, i) => y0 + ((y1 - y0) * i) / 4);
  for (const t of yTicks) {
    const y = Y(t);
    ctx.beginPath();
    ctx.moveTo(m.l, y);
    ctx.lineTo(width - m.r, y);
    ctx.stroke();
    ctx.fillText(format(t), 4, y + 4);
  }
  ctx.fillText(labels.x, width / 2 - 30, height - 6);
  ctx.save();
  ctx.translate(12, m.t + 60);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(labels.y, -60, 0);
  ctx.restore();
  series.forEach((s, k) => {
    ctx.strokeStyle = ctx.fillStyle = s.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dashed ? [5, 4] : []);
    ctx.beginPath();
    s.points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(X(x), Y(y)) : ctx.lineTo(X(x), Y(y))));
    ctx.stroke();
    for (const [x, y] of s.points) ctx.fillRect(X(x) - 2, Y(y) - 2, 4, 4);
    ctx.setLineDash([]);
    ctx.fillText(s.name, m.l + 8, m.t + 12 + 14 * k);
  });
}

/** Marks the page finished (the runner waits for this). */
/**
 * Shows a profile (cr.profile) on the page, under `name`: the kernels, slowest first, with calls,
 * workgroups, bytes bound and time per step, and keeps it in window.__bench.profiles.
 */
export function showProfile(name: string, p: cr.Profile): void {
  state.profiles ??= {};
  state.profiles[name] = { clock: p.clock, kernelMs: p.kernelMs, kernels: p.kernels, table: p.table() };
  const box = document.getElementById('profiles');
  if (!box) return;
  const section = document.createElement('section');
  const title = document.createElement('h3');
  title.textContent = `${name}: ${p.kernelMs === null ? 'kernels counted, not timed' : `${p.kernelMs.toFixed(2)} ms in kernels per step`} (${p.note})`;
  const table = document.createElement('table');
  const head = ['kernel', 'phase', 'calls/step', 'workgroups/step', 'KiB bound/step', 'ms/step', 'share'];
  table.innerHTML =
    `<thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>` +
    p.kernels
      .map((k) => {
        const share = k.ms === null || !p.kernelMs ? '' : `${((100 * k.ms) / p.kernelMs).toFixed(1)}%`;
        const cells = [k.kernel, k.phase, k.calls, k.workgroups, (k.bytes / 1024).toFixed(1), k.ms === null ? '' : k.ms.toFixed(3), share];
        return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
      })
      .join('') +
    '</tbody>';
  section.append(title, table);
  box.append(section);
}

export function done(): void {
  if (state.status !== 'error') state.status = 'done';
  progress(state.status === 'done' ? 'done' : 'failed');
}
