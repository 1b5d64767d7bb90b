// The registry suite in the browser: results go to window.__suite, which test/gpu-suite.test.ts
// reads through puppeteer, and to a table of failures on the page.
import * as cr from 'chainrule';
import { registry, updates } from '../../src/ops/registry.ts';
import { SPANS } from '../../src/ops/update.ts';
import { checkCase, checkFused, checkSpecial, checkUpdate, ownDevice, registryRuns, TOL, type KernelError } from '../gpu-checks.ts';
import { formatSpecial, type SpecialRow } from '../helpers.ts';

interface Result extends KernelError {
  readonly op: string;
  readonly case: string;
  readonly ok: boolean;
}

interface SuiteState {
  status: 'running' | 'done' | 'error';
  adapter: string;
  results: Result[];
  /** IEEE special values: how many elements were compared with PyTorch's tables, and the failures. */
  special: { checked: number; failures: SpecialRow[] };
  error: string | null;
}

declare global {
  interface Window {
    __suite: SuiteState;
  }
}

const state: SuiteState = (window.__suite = { status: 'running', adapter: '', results: [], special: { checked: 0, failures: [] }, error: null });
const progress = document.getElementById('progress')!;

async function main(): Promise<void> {
  const info = await cr.init({ device: 'webgpu', quiet: true });
  state.adapter = info.description;
  document.getElementById('env')!.textContent = `Adapter: ${info.description}${info.software ? ' (software)' : ''}. Browser: ${navigator.userAgent}`;
  const record = (op: string, label: string, errors: KernelError[]) => {
    for (const e of errors) state.results.push({ ...e, op, case: label, ok: e.shapeOk && e.error < TOL });
  };
  // An op with kernel variants (matmul: blocked, tiled) runs once per variant, forced on; an op that
  // fusion changes runs fused and unfused; each case runs alone and fused with its neighbours.
  for (const run of registryRuns(registry)) {
    const { label, spec } = run;
    progress.textContent = `checking ${label}`;
    const forced = ownDevice(run);
    if (forced) await cr.init({ device: 'webgpu', quiet: true, ...run.init });
    for (const [i, c] of spec.test.cases.entries()) record(label, JSON.stringify(c), await checkCase(spec, c, i));
    // The first case fused with elementwise neighbours, forward and VJPs in one plan (fusion.ts);
    // the Node suite runs every case so.
    if (run.init.fuse) record(label, `${JSON.stringify(spec.test.cases[0])} fused`, await checkFused(spec, spec.test.cases[0], 0));
    for (const c of spec.test.special ?? []) {
      const rows = await checkSpecial(spec, c);
      state.special.checked += rows.length;
      state.special.failures.push(...rows.filter((r) => !r.ok));
    }
    if (forced) await cr.init({ device: 'webgpu', quiet: true });
  }
  for (const spec of updates) {
    for (const span of SPANS.names) {
      await cr.init({ device: 'webgpu', quiet: true, variants: { [spec.name]: span } });
      for (const [i, hypers] of spec.test.hypers.entries()) record(`${spec.name} (${span})`, `hyperparameters ${i}`, await checkUpdate(spec, hypers, i));
    }
  }
  const failures = state.results.filter((r) => !r.ok);
  progress.textContent = `${state.results.length} kernel checks, ${failures.length} failed; ${state.special.checked} special values, ${state.special.failures.length} differ from PyTorch`;
  const table = document.getElementById('results')!;
  for (const f of failures) {
    const p = document.createElement('p');
    p.textContent = `FAILED ${f.kernel} on ${f.case}: error ${f.error}${f.shapeOk ? '' : ' (wrong shape)'}`;
    table.append(p);
  }
  if (state.special.failures.length > 0) {
    const pre = document.createElement('pre');
    pre.textContent = formatSpecial(state.special.failures);
    table.append(pre);
  }
  state.status = 'done';
}

main().catch((e: unknown) => {
  state.status = 'error';
  state.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const box = document.getElementById('error')!;
  box.hidden = false;
  box.textContent = state.error;
  console.error(state.error);
});
