// Giving memory back after a large deletion. Redis frees big values on a background
// thread (UNLINK, FLUSHDB ASYNC); V8 frees them at its next garbage collection, which
// may come much later when the heap is large. Asking for one collection soon after
// such a deletion makes the memory figures fall as Redis's do.

import v8 from "node:v8";

let collect: (() => void) | null | undefined;
let pending = false;

// node:vm loads only when first needed: loading it took about a tenth of start-up.
async function collector(): Promise<(() => void) | null> {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString("--expose-gc");
      const vm = (await import("node:vm")).default;
      collect = vm.runInNewContext("gc") as () => void;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/** Runs one full garbage collection shortly (several requests share one). */
export function collectSoon(): void {
  if (pending || collect === null) return;
  pending = true;
  setTimeout(async () => {
    const gc = await collector();
    pending = false;
    gc?.();
  }, 10);
}
