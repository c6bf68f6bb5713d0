// The Lua 5.1 VM: Lua compiled to WebAssembly (lua.wasm, built by tools/lua_wasm/build.sh)
// and the JavaScript half of its bridge (tools/lua_wasm/c/bridge.c).
//
// Strings cross as bytes, one-byte (latin1) strings on this side, so every byte value
// goes both ways. A script that runs past the busy threshold can be suspended: `run`
// then returns a promise, and the server serves other clients meanwhile. Most scripts
// run in a Lua coroutine that the busy hook yields, at the cost of a plain call; a
// script that may loop in Lua code called from a C function (where a coroutine cannot
// yield: pcall, sort comparators, gsub callbacks, metamethods, nested coroutines) runs
// on a stack that JSPI suspends instead, which costs a promise and a stack per run.

import { Buffer } from "node:buffer";
import { sha1Hex } from "../util/sha.ts";
import v8 from "node:v8";
import type { ReplyWriter } from "../protocol/reply_writer.ts";
import { commandName } from "../protocol/byte_strings.ts";

/** The Lua state for EVAL scripts. */
export const EVAL_STATE = 0;
/** The Lua state for FUNCTION libraries. */
export const FUNCTION_STATE = 1;
export type StateIndex = typeof EVAL_STATE | typeof FUNCTION_STATE;

/** What the VM asks of the server while a script runs. */
/** A command's reply for redis.call: the first `length` bytes of `bytes`. */
export interface CallReply {
  bytes: Uint8Array;
  length: number;
}

export interface VmHost {
  /**
   * redis.call / redis.pcall: runs `argv`, returns the RESP reply (in protocol `resp`);
   * the bytes need only stay valid until the next call.
   */
  call(argv: string[], resp: 2 | 3): CallReply;
  /** redis.acl_check_cmd: 1 allowed, 0 denied, -1 no such command. */
  aclCheck(argv: string[]): number;
  log(level: number, text: string): void;
  /** redis.set_repl. */
  setReplication(flags: number): void;
  /**
   * Called every 100,000 Lua instructions: 0 to go on, 1 to let other clients in (only
   * acted on when the run may yield), 2 to stop the script with `killMessage()`.
   */
  tick(): number;
  /** Resolves when the script may go on after a yield. */
  pause(): Promise<void>;
  killMessage(): string;
  /** redis.register_function while a library loads; an error text, or null. */
  registerFunction(
    ref: number,
    name: string,
    description: string | null,
    flags: string[],
  ): string | null;
  /**
   * A run failed: its error text, the chunk and line it failed at (-1: unknown), and
   * whether INFO errorstats already counted the error (a command's own).
   */
  failed(text: string, source: string, line: number, counted: boolean): void;
}

/** The bridge's exports (see bridge.c). */
interface Exports {
  memory: WebAssembly.Memory;
  rd_reserve(size: number): number;
  rd_text_length(): number;
  rd_set_text_length(length: number): void;
  rd_open(state: number): number;
  rd_compile(state: number, nameLength: number, codeLength: number): number;
  rd_release(state: number, ref: number): void;
  rd_run(state: number, ref: number, yieldBy: number): number;
  rd_resume(state: number): number;
  rd_memory(state: number): number;
  rd_last_status(): number;
  rd_load_library(codeLength: number): number;
}

/** rd_run wrapped by WebAssembly.promising: a promise, even when it never suspends. */
type RunAsync = (state: number, ref: number, yieldBy: number) => Promise<number>;

// rd_run's `yield` (bridge.h).
const YIELD_NONE = 0;
const YIELD_STACK = 1;
const YIELD_COROUTINE = 2;
/** rd_run / rd_resume: the script's coroutine yielded. */
const RUN_SUSPENDED = 2;

/**
 * Whether code may run Lua beneath a C function, where a coroutine cannot yield: pcall
 * and xpcall (not redis.pcall), table.sort, string.gsub, table.foreach, metatables,
 * coroutines, load with a reader, debug hooks. A word in a comment or a string only
 * costs such a script the slower way.
 */
export function mayRunLuaBeneathC(code: string): boolean {
  return LUA_BENEATH_C.test(code);
}
const LUA_BENEATH_C =
  /(?<!redis\s*\.\s*)\bx?pcall\b|\b(?:sort|gsub|foreach|foreachi|setmetatable|getmetatable|newproxy|coroutine|load|debug)\b/;

type Latin1Buffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  latin1Write(text: string, offset: number, length: number): number;
};

const WASM_URL = new URL("./lua.wasm", import.meta.url);
let compiled: WebAssembly.Module | null = null;

function wasmModule(): WebAssembly.Module {
  if (compiled === null) {
    // JSPI stacks that start small and grow: a script that never yields then costs far
    // less to start (measured: EVALSHA throughput up by a third and more).
    v8.setFlagsFromString("--experimental-wasm-growable-stacks");
    compiled = new WebAssembly.Module(Deno.readFileSync(WASM_URL));
  }
  return compiled;
}

const ENOSYS = 52;
/** How long a library's code may run at FUNCTION LOAD, as in Redis. */
const LOAD_TIMEOUT_MS = 500;
const EBADF = 8;

/** One instance of the VM, with its two Lua states. */
export class LuaVm {
  readonly #host: VmHost;
  readonly #exports: Exports;
  readonly #runAsync: RunAsync;
  #bytes: Latin1Buffer;
  #view: DataView;
  /** Where the result of the running script goes. */
  #reply: ReplyWriter | null = null;
  #suspended = false;
  /** Per state: the compiled functions that run on a JSPI stack (mayRunLuaBeneathC). */
  readonly #stackRuns: [Set<number>, Set<number>] = [new Set(), new Set()];
  /** While a library loads: whether its functions run on a JSPI stack. */
  #libraryOnStack = false;
  /** While a library loads: when it must have finished (performance.now()), else 0. */
  #loadDeadline = 0;

  constructor(host: VmHost) {
    this.#host = host;
    const imports = this.#imports();
    const instance = new WebAssembly.Instance(wasmModule(), imports);
    this.#exports = instance.exports as unknown as Exports;
    // A reactor module: its C constructors run once, here.
    (instance.exports._initialize as () => void)();
    // deno-lint-ignore no-explicit-any
    const promising = (WebAssembly as any).promising as (f: unknown) => RunAsync;
    this.#runAsync = promising(instance.exports.rd_run);
    this.#bytes = Buffer.from(this.#exports.memory.buffer) as Latin1Buffer;
    this.#view = new DataView(this.#exports.memory.buffer);
    this.#exports.rd_open(EVAL_STATE);
    this.#exports.rd_open(FUNCTION_STATE);
  }

  /** Drops a state and everything in it, for a fresh one (SCRIPT FLUSH, FUNCTION FLUSH). */
  reset(state: StateIndex): void {
    this.#stackRuns[state].clear();
    this.#exports.rd_open(state);
  }

  /** Compiles code; the function's reference, or the compiler's error text. */
  compile(state: StateIndex, chunkName: string, code: string): number | string {
    const start = this.#reserve(chunkName.length + code.length);
    this.#bytes.latin1Write(chunkName, start, chunkName.length);
    this.#bytes.latin1Write(code, start + chunkName.length, code.length);
    const ref = this.#exports.rd_compile(state, chunkName.length, code.length);
    if (ref === 0) return this.#text();
    if (mayRunLuaBeneathC(code)) this.#stackRuns[state].add(ref);
    return ref;
  }

  /** Forgets a compiled function. */
  release(state: StateIndex, ref: number): void {
    this.#stackRuns[state].delete(ref);
    this.#exports.rd_release(state, ref);
  }

  /**
   * Runs a compiled function with its keys (`keyCount` of them from items[keysAt]) and
   * arguments (the rest of `items`) and writes its result (or error, through
   * `host.failed`) to `reply`. True when it succeeded. A run that may
   * yield and does so returns a promise instead.
   */
  run(
    state: StateIndex,
    ref: number,
    items: readonly string[],
    keysAt: number,
    keyCount: number,
    reply: ReplyWriter,
    canYield: boolean,
  ): boolean | Promise<boolean> {
    this.#writeArrays(items, keysAt, keyCount);
    this.#reply = reply;
    if (!canYield || !this.#stackRuns[state].has(ref)) {
      let status;
      try {
        status = this.#exports.rd_run(state, ref, canYield ? YIELD_COROUTINE : YIELD_NONE);
      } catch (error) {
        this.#reply = null;
        throw error;
      }
      if (status !== RUN_SUSPENDED) {
        this.#reply = null;
        return status === 0;
      }
      return this.#resumeLater(state);
    }
    this.#suspended = false;
    const done = this.#runAsync(state, ref, YIELD_STACK);
    if (!this.#suspended) {
      // It ran to the end without yielding: its status is known, and the promise
      // (already settled) needs no handler, unless the module trapped.
      const status = this.#exports.rd_last_status();
      if (status >= 0) {
        this.#reply = null;
        return status === 0;
      }
    }
    return done.then((status) => status === 0).finally(() => {
      this.#reply = null;
    });
  }

  // A coroutine run that yielded: resumed after each pause until it ends.
  async #resumeLater(state: StateIndex): Promise<boolean> {
    try {
      let status = RUN_SUSPENDED;
      while (status === RUN_SUSPENDED) {
        await this.#host.pause();
        status = this.#exports.rd_resume(state);
      }
      return status === 0;
    } finally {
      this.#reply = null;
    }
  }

  /**
   * Compiles and runs a library's code so that it registers its functions (through
   * `host.registerFunction`): null, or why it failed.
   */
  loadLibrary(code: string): { compile: string } | { run: string } | null {
    const at = this.#reserve(code.length);
    this.#bytes.latin1Write(code, at, code.length);
    this.#loadDeadline = performance.now() + LOAD_TIMEOUT_MS;
    this.#libraryOnStack = mayRunLuaBeneathC(code);
    let status;
    try {
      status = this.#exports.rd_load_library(code.length);
    } finally {
      this.#loadDeadline = 0;
    }
    if (status === 0) return null;
    return status === 1 ? { compile: this.#text() } : { run: this.#text() };
  }

  /** Bytes a state uses. */
  memory(state: StateIndex): number {
    return this.#exports.rd_memory(state);
  }

  // ---------------------------------------------------------------------------

  // The byte views, renewed once memory has grown (growing detaches the old buffer).
  #fresh(): Latin1Buffer {
    // Growing the memory detaches the old buffer, whose views then have no bytes.
    if (this.#bytes.byteLength === 0) {
      this.#bytes = Buffer.from(this.#exports.memory.buffer) as Latin1Buffer;
      this.#view = new DataView(this.#exports.memory.buffer);
    }
    return this.#bytes;
  }

  #reserve(size: number): number {
    const at = this.#exports.rd_reserve(size);
    if (at === 0) throw new Error("Lua VM out of memory");
    this.#fresh();
    return at;
  }

  #text(): string {
    const at = this.#exports.rd_reserve(0);
    const bytes = this.#fresh();
    return bytes.latin1Slice(at, at + this.#exports.rd_text_length());
  }

  #string(at: number, length: number): string {
    return latin1Slice(this.#fresh(), at, length);
  }

  // Keys (items[keysAt] on, keyCount of them) then arguments (the rest), each list as
  // [count][length bytes]...
  #writeArrays(items: readonly string[], keysAt: number, keyCount: number): void {
    let size = 8;
    for (let i = keysAt; i < items.length; i++) size += 4 + items[i].length;
    let at = this.#reserve(size);
    at = this.#writeList(items, keysAt, keysAt + keyCount, at);
    this.#writeList(items, keysAt + keyCount, items.length, at);
  }

  // items[from..to) as [count][length bytes]... at `at`; returns where it ended.
  #writeList(items: readonly string[], from: number, to: number, at: number): number {
    const bytes = this.#bytes;
    const view = this.#view;
    view.setUint32(at, to - from, true);
    at += 4;
    for (let i = from; i < to; i++) {
      const item = items[i];
      view.setUint32(at, item.length, true);
      at += 4;
      at = latin1Write(bytes, item, at);
    }
    return at;
  }

  // [count][length bytes]... from the exchange buffer.
  #readArgv(): string[] {
    const at = this.#exports.rd_reserve(0);
    const bytes = this.#fresh();
    const view = this.#view;
    const count = view.getUint32(at, true);
    const argv: string[] = new Array(count);
    let p = at + 4;
    for (let i = 0; i < count; i++) {
      const length = view.getUint32(p, true);
      // The name as the decoder takes it: a recent name's string, already hashed.
      argv[i] = i === 0
        ? commandName(bytes, p + 4, p + 4 + length)
        : latin1Slice(bytes, p + 4, length);
      p += 4 + length;
    }
    return argv;
  }

  // Puts the first `length` bytes of `data` in the exchange buffer; returns `length`.
  // A short reply (most are) is copied byte by byte: no view of it to make.
  #putReply(data: Uint8Array, length: number): number {
    const at = this.#reserve(length);
    const bytes = this.#bytes;
    if (length <= 64) { for (let i = 0; i < length; i++) bytes[at + i] = data[i]; }
    else bytes.set(data.subarray(0, length), at);
    return length;
  }

  #putText(text: string): number {
    const at = this.#reserve(text.length);
    this.#bytes.latin1Write(text, at, text.length);
    this.#exports.rd_set_text_length(text.length);
    return text.length;
  }

  #imports(): WebAssembly.Imports {
    const host = this.#host;
    const reply = (): ReplyWriter => this.#reply!;
    // The C library's system interface: there are no files (EBADF ends its search for
    // preopened directories), and nothing else is available.
    const wasi = new Proxy({}, {
      get: (_target, name) => {
        if (name === "fd_prestat_get") return () => EBADF;
        if (name === "proc_exit") {
          return (code: number) => {
            throw new Error(`Lua VM exited (${code})`);
          };
        }
        return () => ENOSYS;
      },
    });
    // deno-lint-ignore no-explicit-any
    const Suspending = (WebAssembly as any).Suspending as new (
      f: () => Promise<void>,
    ) => WebAssembly.ImportValue;
    return {
      wasi_snapshot_preview1: wasi,
      redeno: {
        call: (resp: number) => {
          let out: CallReply;
          try {
            out = host.call(this.#readArgv(), resp === 3 ? 3 : 2);
          } catch (error) {
            console.error("redis.call failed inside the server:", error);
            const bytes = new TextEncoder().encode("-ERR internal error\r\n");
            out = { bytes, length: bytes.length };
          }
          return this.#putReply(out.bytes, out.length);
        },
        acl_check: () => {
          try {
            return host.aclCheck(this.#readArgv());
          } catch {
            return -1;
          }
        },
        log: (level: number, at: number, length: number) => {
          host.log(level, this.#string(at, length));
        },
        sha1hex: (at: number, length: number, out: number) => {
          const digest = sha1Hex(this.#fresh().subarray(at, at + length));
          this.#bytes.latin1Write(digest, out, 40);
        },
        set_repl: (flags: number) => {
          host.setReplication(flags);
          return 0;
        },
        tick: () => {
          if (this.#loadDeadline !== 0) {
            if (performance.now() < this.#loadDeadline) return 0;
            this.#putText("ERR FUNCTION LOAD timeout");
            return 2;
          }
          const what = host.tick();
          if (what === 2) this.#putText(host.killMessage());
          return what;
        },
        yield: new Suspending(() => {
          this.#suspended = true;
          return host.pause();
        }),
        register_function: (ref: number) => {
          const { name, description, flags } = this.#readRegistration();
          const problem = host.registerFunction(ref, name, description, flags);
          if (problem === null) {
            if (this.#libraryOnStack) this.#stackRuns[FUNCTION_STATE].add(ref);
            return 0;
          }
          this.#putText(problem);
          return -1;
        },
        reply_null: () => reply().null(),
        reply_int: (value: bigint) => {
          const n = Number(value);
          reply().integer(Number.isSafeInteger(n) ? n : value);
        },
        reply_bulk: (at: number, length: number) => reply().bulk(this.#string(at, length)),
        reply_status: (at: number, length: number) =>
          reply().simple(this.#string(at, length).replace(/[\r\n]/g, " ")),
        reply_error: (at: number, length: number, counted: number) => {
          const text = this.#string(at, length);
          if (counted) reply().errorCounted(text);
          else reply().error(text);
        },
        reply_array: (count: number) => reply().arrayLen(count),
        reply_map: (count: number) => reply().mapLen(count),
        reply_set: (count: number) => reply().setLen(count),
        reply_double: (value: number) => reply().double(value),
        reply_bool: (value: number) => reply().boolean(value !== 0),
        // Like a status reply, a big number cannot hold CR or LF: Redis turns them
        // into spaces.
        reply_big_number: (at: number, length: number) =>
          reply().bigNumber(this.#string(at, length).replace(/[\r\n]/g, " ")),
        reply_verbatim: (at: number, length: number, format: number) =>
          reply().verbatim(this.#string(at, length), this.#string(format, 3)),
        reply_script_error: (
          at: number,
          length: number,
          source: number,
          line: number,
          counted: number,
        ) => {
          const bytes = this.#fresh();
          let end = source;
          while (bytes[end] !== 0) end++;
          const where = this.#string(source, end - source);
          host.failed(this.#string(at, length), where, line, counted !== 0);
        },
      },
    };
  }

  // The registration redis.register_function left in the exchange buffer.
  #readRegistration(): { name: string; description: string | null; flags: string[] } {
    const at = this.#exports.rd_reserve(0);
    const bytes = this.#fresh();
    const view = this.#view;
    let p = at;
    const nameLength = view.getUint32(p, true);
    const name = bytes.latin1Slice(p + 4, p + 4 + nameLength);
    p += 4 + nameLength;
    const descriptionLength = view.getInt32(p, true);
    p += 4;
    let description: string | null = null;
    if (descriptionLength >= 0) {
      description = bytes.latin1Slice(p, p + descriptionLength);
      p += descriptionLength;
    }
    const count = view.getUint32(p, true);
    p += 4;
    const flags: string[] = [];
    for (let i = 0; i < count; i++) {
      const length = view.getUint32(p, true);
      flags.push(bytes.latin1Slice(p + 4, p + 4 + length));
      p += 4 + length;
    }
    return { name, description, flags };
  }
}

// Short strings are copied byte by byte: cheaper than the Buffer calls, which pay off
// for long ones.
const SHORT = 32;

function latin1Slice(bytes: Latin1Buffer, at: number, length: number): string {
  if (length > SHORT) return bytes.latin1Slice(at, at + length);
  let text = "";
  for (let i = at; i < at + length; i++) text += String.fromCharCode(bytes[i]);
  return text;
}

// Writes a one-byte string at `at`; returns the offset after it.
function latin1Write(bytes: Latin1Buffer, text: string, at: number): number {
  const length = text.length;
  if (length > SHORT) return at + bytes.latin1Write(text, at, length);
  for (let i = 0; i < length; i++) bytes[at + i] = text.charCodeAt(i);
  return at + length;
}
