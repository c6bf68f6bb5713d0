// A seeded random generator (xorshift32) for tests and tools whose random cases must
// be the same on every run, so that a failure can be replayed.

/** Numbers in [0, 1) from `seed`, the same sequence for the same seed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
