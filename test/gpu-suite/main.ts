// The registry suite in the browser: results go to window.__suite, which test/gpu-suite.test.ts
// reads through puppeteer, and to a table of failures on the page.
import * as cr from 'chainrule';
import { registry, updates } from '../../src/ops/index.ts';
import { checkCase, checkUpdate, TOL, type KernelError } from '../gpu-checks.ts';

interface Result extends KernelError {
  readonly op: string;
  readonly case: string;
  readonly ok: boolean;
}

interface SuiteState {
  status: 'running' | 'done' | 'error';
  adapter: string;
  results: Result[];
  error: string | null;
}

declare global {
  interface Window {
    __suite: SuiteState;
  }
}

const state: SuiteState = (window.__suite = { status: 'running', adapter: '', results: [], error: null });
const progress = document.getElementById('progress')!;

async function main(): Promise<void> {
  const info = await cr.init({ device: 'webgpu', quiet: true });
  state.adapter = info.description;
  document.getElementById('env')!.textContent = `Adapter: ${info.description}${info.software ? ' (software)' : ''}. Browser: ${navigator.userAgent}`;
  const record = (op: string, label: string, errors: KernelError[]) => {
    for (const e of errors) state.results.push({ ...e, op, case: label, ok: e.shapeOk && e.error < TOL });
  };
  for (const spec of registry) {
    progress.textContent = `checking ${spec.name}`;
    for (const [i, c] of spec.test.cases.entries()) record(spec.name, JSON.stringify(c), await checkCase(spec, c, i));
  }
  for (const spec of updates) {
    for (const [i, hypers] of spec.test.hypers.entries()) record(spec.name, `hyperparameters ${i}`, await checkUpdate(spec, hypers, i));
  }
  const failures = state.results.filter((r) => !r.ok);
  progress.textContent = `${state.results.length} kernel checks, ${failures.length} failed`;
  const table = document.getElementById('results')!;
  for (const f of failures) {
    const p = document.createElement('p');
    p.textContent = `FAILED ${f.kernel} on ${f.case}: error ${f.error}${f.shapeOk ? '' : ' (wrong shape)'}`;
    table.append(p);
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
