// A monotonic clock in milliseconds on performance.now()'s scale, for timing commands:
// read twice per batch of requests, where performance.now() costs about 160 ns on a VM
// and clock_gettime(2) through FFI about 60 ns. Both count CLOCK_MONOTONIC, so one
// offset, taken once, puts the C clock on performance.now()'s origin and the two can
// be mixed. Without the C library, performance.now() itself.

import { openLibc } from "./libc.ts";

const CLOCK_MONOTONIC = 1;

function makeClock(): () => number {
  const libc = openLibc();
  if (libc === null) return () => performance.now();
  const clockGettime = libc.symbols.clock_gettime;
  // struct timespec on a 64-bit Linux: tv_sec (int64), tv_nsec (long). Monotonic
  // seconds (since boot) fit the low word for 68 years.
  const timespec = new Int32Array(4);
  if (clockGettime(CLOCK_MONOTONIC, timespec) !== 0) return () => performance.now();
  const read = (): number => {
    clockGettime(CLOCK_MONOTONIC, timespec);
    return timespec[0] * 1000 + timespec[2] / 1e6;
  };
  const offset = performance.now() - read();
  return () => read() + offset;
}

/** Milliseconds, as performance.now() reads them. */
export const monotonicNow: () => number = makeClock();
