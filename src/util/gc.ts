// Giving memory back after a large deletion. Redis frees big values on a background
// thread (UNLINK, FLUSHDB ASYNC); V8 frees them at its next garbage collection, which
// may come much later when the heap is large. Asking for one collection soon after
// such a deletion makes the memory figures fall as Redis's do.

import v8 from "node:v8";
import vm from "node:vm";

let collect: (() => void) | null | undefined;
let pending = false;

function collector(): (() => void) | null {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString("--expose-gc");
      collect = vm.runInNewContext("gc") as () => void;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/** Runs one full garbage collection shortly (several requests share one). */
export function collectSoon(): void {
  if (pending) return;
  const gc = collector();
  if (gc === null) return;
  pending = true;
  setTimeout(() => {
    pending = false;
    gc();
  }, 10);
}
