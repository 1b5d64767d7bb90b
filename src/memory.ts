/** cr.memory(): where memory goes, by the line of user code that made each tensor. */
import type { DeviceName } from './device.ts';
import type { Storage } from './backend/backend.ts';
import { counters } from './stats.ts';
import { liveValues } from './graph.ts';

/** Bytes held by the tensors one line of code made, on one device. */
export interface MemoryByOrigin {
  /** "file:line:col" of the user's code; "chainrule" for tensors made inside the library (constants). */
  readonly origin: string;
  readonly device: DeviceName;
  readonly tensors: number;
  readonly bytes: number;
}

export interface MemoryReport {
  /** GPU bytes lent to live tensors (buffers are rounded up to pool buckets), and idle in the pool. */
  readonly liveBytes: number;
  readonly pooledBytes: number;
  /** Live tensors on every device, grouped by origin and device, largest first. */
  readonly byOrigin: readonly MemoryByOrigin[];
}

/** The memory live tensors hold, by the line that made them, and the GPU pool's idle bytes. */
export function memory(): MemoryReport {
  const groups = new Map<string, { origin: string; device: DeviceName; tensors: number; bytes: number }>();
  const counted = new Set<Storage>(); // shared values (detach, stateDict) count once
  for (const t of liveValues()) {
    const s = t.storage!;
    const origin = t.origin ?? 'chainrule';
    const key = `${s.backend.name} ${origin}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { origin, device: s.backend.name, tensors: 0, bytes: 0 }));
    g.tensors++;
    if (!counted.has(s)) g.bytes += s.bytes;
    counted.add(s);
  }
  const byOrigin = [...groups.values()].sort((a, b) => b.bytes - a.bytes);
  return { liveBytes: counters.liveBytes, pooledBytes: counters.pooledBytes, byOrigin };
}
