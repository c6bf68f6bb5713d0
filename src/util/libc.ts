// The C library's functions Redeno calls through Deno's FFI, where Deno's own way costs
// far more per call on the request path: send(2) for replies (server/direct_send.ts)
// and clock_gettime(2) for command timing (util/clock.ts). Opened once, on first use;
// null on another platform than Linux, or without FFI permission (`--allow-ffi`):
// callers then keep to Deno's APIs.

/** The functions used, as Deno's FFI binds them. */
export interface Libc {
  symbols: {
    send(fd: number, bytes: Uint8Array, length: number, flags: number): number;
    clock_gettime(clock: number, timespec: Int32Array): number;
  };
}

// undefined until first asked for.
let libc: Libc | null | undefined;

/** The C library, or null when it cannot be used. */
export function openLibc(): Libc | null {
  if (libc === undefined) libc = open();
  return libc;
}

function open(): Libc | null {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") {
    return null;
  }
  // Asked, not requested: an interactive run would otherwise stop at a prompt.
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
  try {
    return Deno.dlopen("libc.so.6", {
      send: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
      clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
    }) as unknown as Libc;
  } catch {
    // No glibc (musl names its library otherwise).
    return null;
  }
}
