// Blocking the whole process for a while, as Redis's debugging sleeps do (DEBUG SLEEP,
// DEBUG AOF-FLUSH-SLEEP): Atomics.wait on a cell nobody wakes, so nothing spins.

const cell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the process for `ms` milliseconds (fractions allowed). */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(cell, 0, 0, ms);
}
