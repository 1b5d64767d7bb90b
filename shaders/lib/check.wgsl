// Invalid labels and indices: a kernel cannot throw, so it records one in its error slot `err`
// (declared by the op at binding k + 4, a 16-byte window of the slots buffer, bound at a dynamic
// offset); the host reads the slots with the next readback and throws the CPU reference's OpError.
struct Invalid { count: atomic<u32>, first: atomic<u32>, value: atomic<i32> }

// Counts an invalid `value` read at `position`; `first` keeps the lowest position (as 0xffffffff -
// position, so that 0, the cleared slot, means none). The value is exact when count is 1.
fn report_invalid(position: u32, value: i32) {
  atomicAdd(&err.count, 1u);
  let before = atomicMax(&err.first, 0xffffffffu - position);
  if (0xffffffffu - position > before) { atomicStore(&err.value, value); }
}
