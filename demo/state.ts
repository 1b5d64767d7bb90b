// What the page is doing, as plain data on window.__demo: the headless-Chrome test reads it
// instead of scraping text, and it is handy in the devtools console too.

export type Phase = 'starting' | 'idle' | 'loading' | 'training' | 'stopped' | 'done' | 'error';

export interface Report {
  step: number;
  loss: number;
  accuracy: number;
}

export interface DemoState {
  phase: Phase;
  /** The device computing now, its adapter, and why WebGPU was not used (null if it was). */
  device: 'webgpu' | 'cpu' | null;
  adapter: string;
  fallbackReason: string | null;
  dataset: 'spiral' | 'mnist';
  /** Global step of the last report and the planned total of this run. */
  steps: number;
  totalSteps: number;
  reports: Report[];
  testAccuracy: { epoch: number; step: number; accuracy: number }[];
  /** Times the decision regions were drawn (spiral), and the last digit's probabilities (MNIST). */
  regionsDrawn: number;
  probabilities: number[] | null;
  error: string | null;
}

declare global {
  interface Window {
    __demo: DemoState;
  }
}

export const state: DemoState = {
  phase: 'starting',
  device: null,
  adapter: '',
  fallbackReason: null,
  dataset: 'spiral',
  steps: 0,
  totalSteps: 0,
  reports: [],
  testAccuracy: [],
  regionsDrawn: 0,
  probabilities: null,
  error: null,
};

window.__demo = state;
