import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as cr from 'chainrule';

// `npm run train` as a user runs it: a short spiral run with --json and --save, and bad flags.

const train = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/train.ts', ...args], { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname });

describe('npm run train', () => {
  it('trains the spiral on the CPU, prints one JSON line and saves safetensors a model can load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chainrule-'));
    const file = join(dir, 'spiral.safetensors');
    const run = train('--dataset', 'spiral', '--device', 'cpu', '--epochs', '200', '--json', '--save', file);
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]);
    expect(result).toMatchObject({ dataset: 'spiral', device: 'cpu', sizes: [2, 100, 3], steps: 200, saved: file });
    expect(result.trainAccuracy).toBeGreaterThan(0.9);
    const state = cr.io.loadSafetensors(readFileSync(file));
    expect(Object.fromEntries(Object.entries(state).map(([k, t]) => [k, t.shape]))).toEqual({
      '0.weight': [100, 2],
      '0.bias': [100],
      '2.weight': [3, 100],
      '2.bias': [3],
    });
  });

  it('stops with one clear message and exit code 1 when training diverges, and names the op with --check-numerics', () => {
    const run = train('--dataset', 'spiral', '--device', 'cpu', '--epochs', '50', '--lr', '1e20');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^train: fit: the training loss is (NaN|Infinity) at epoch \d+, step \d+: training diverged; lower the learning rate \(now 100000000000000000000\)/,
    );
    const guarded = train('--dataset', 'spiral', '--device', 'cpu', '--epochs', '50', '--lr', '1e20', '--check-numerics');
    expect(guarded.status).toBe(1);
    expect(guarded.stderr).toMatch(/^train: checkNumerics: \w+ (forward|backward \(VJP for input \d\)) made \d+ non-finite values? in \[/);
  });

  it('rejects bad flags with a usage message and exit code 2', () => {
    for (const [args, message] of [
      [['--epochs', '0'], /--epochs must be a whole number >= 1, got "0"/],
      [['--dataset', 'cifar'], /--dataset must be one of mnist, spiral, got "cifar"/],
      [['--lr'], /--lr needs a value/],
      [['--frobnicate'], /unknown option --frobnicate/],
      [['--hidden', '10,x'], /--hidden must be positive whole numbers/],
      [['--model', 'cnn', '--dataset', 'spiral'], /--model cnn takes 28x28 images: use it with --dataset mnist/],
      [['--model', 'resnet'], /--model must be one of mlp, cnn, got "resnet"/],
      [['--channels', '8,16'], /--channels takes two sizes \(C1,C2\) and goes with --model cnn, got 8,16/],
      [['--model', 'cnn', '--channels', '8'], /--channels takes two sizes/],
      [['--lr-schedule', 'cosine', '--lr-decay', '0.5'], /--lr-decay goes with --lr-schedule decay, got --lr-schedule cosine/],
      [['--lr-schedule', 'linear'], /--lr-schedule must be one of constant, cosine, decay, got "linear"/],
    ] as const) {
      const run = train(...args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toMatch(/usage: npm run train/);
    }
  });
});
