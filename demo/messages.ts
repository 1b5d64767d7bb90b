// The two boxes above the controls: errors (never swallowed) and notices (e.g. no WebGPU).
import { state } from './state.ts';

const errorBox = () => document.querySelector<HTMLElement>('#error')!;
const noticeBox = () => document.querySelector<HTMLElement>('#notice')!;

/** Shows an error on the page and in the console (where its stack is), and marks the state. */
export function showError(e: unknown): void {
  // A plain Error's name says nothing; chainrule's (OpError, DeviceError, ...) say where it came from.
  const message = e instanceof Error ? (e.name === 'Error' ? e.message : `${e.name}: ${e.message}`) : String(e);
  console.error(e);
  state.error = message;
  state.phase = 'error';
  errorBox().querySelector('.message')!.textContent = message;
  errorBox().hidden = false;
}

export function clearError(): void {
  state.error = null;
  errorBox().hidden = true;
}

export function showNotice(text: string | null): void {
  noticeBox().textContent = text ?? '';
  noticeBox().hidden = text === null;
}

/** Errors outside the page's own handlers (a failed import, a bug in a callback) land in the box too. */
export function catchStrayErrors(): void {
  window.addEventListener('error', (e) => showError(e.error ?? e.message));
  window.addEventListener('unhandledrejection', (e) => showError(e.reason));
}
