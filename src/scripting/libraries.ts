// FUNCTION libraries: Lua code that registers named functions when it loads (FUNCTION
// LOAD), called by FCALL. Libraries live in the VM's functions state; this keeps their
// code, their functions and the rules for names, flags and collisions.

import { FUNCTION_STATE, type LuaVm } from "./lua_vm.ts";
import { parseLibraryShebang, SCRIPT_FLAGS, type ScriptFlag } from "./shebang.ts";
import type { ScriptRunOptions } from "./run_options.ts";

/** One function a library registered. */
export interface LuaFunction {
  /** As registered (FCALL finds it in any letter case). */
  name: string;
  library: Library;
  /** The callback in the VM. */
  ref: number;
  description: string | null;
  flags: ScriptFlag[];
  /** How FCALL runs it, worked out on first use. */
  options?: ScriptRunOptions;
}

/** A loaded library. */
export interface Library {
  name: string;
  /** The code as loaded, shebang included (FUNCTION LIST WITHCODE, DUMP, the RDB). */
  code: string;
  /** By lowercase name. */
  functions: Map<string, LuaFunction>;
}

const ERR_BAD_NAME =
  "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

function validName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

/** The libraries FUNCTION LOAD made. */
export class FunctionLibraries {
  readonly #vm: () => LuaVm;
  readonly #libraries = new Map<string, Library>();
  /** Every function of every library, by lowercase name. */
  readonly #functions = new Map<string, LuaFunction>();
  /** The library being loaded, which redis.register_function adds to. */
  #loading: Library | null = null;

  constructor(vm: () => LuaVm) {
    this.#vm = vm;
  }

  /** A function by name, any letter case. */
  get(name: string): LuaFunction | undefined {
    return this.#functions.get(name.toLowerCase());
  }

  /** The libraries, in load order. */
  libraries(): IterableIterator<Library> {
    return this.#libraries.values();
  }

  get libraryCount(): number {
    return this.#libraries.size;
  }

  get functionCount(): number {
    return this.#functions.size;
  }

  /** INFO used_memory_functions: code and bookkeeping, roughly as Redis counts. */
  get memory(): number {
    let total = 0;
    for (const library of this.#libraries.values()) {
      total += library.code.length + 96 + library.functions.size * 128;
    }
    return total;
  }

  /**
   * FUNCTION LOAD: compiles the library and runs it so it registers its functions.
   * Returns its name, or the error reply text.
   */
  load(code: string, replace: boolean): string {
    const library = this.compile(code);
    if (typeof library === "object" && "error" in library) return library.error;
    const problem = this.add([library], replace ? "replace" : "append");
    return problem ?? library.name;
  }

  /**
   * Compiles and loads one library without adding it: its functions are registered in
   * the VM but not callable until `add`. Returns it, or `{ error }` with the reply text.
   */
  compile(code: string): Library | { error: string } {
    const parsed = parseLibraryShebang(code);
    if (typeof parsed === "string") return { error: `ERR ${parsed}` };
    const { name } = parsed;
    if (!validName(name)) return { error: ERR_BAD_NAME };
    if (parsed.engine.toLowerCase() !== "lua") {
      return { error: `ERR Engine '${parsed.engine}' not found` };
    }
    const library: Library = { name, code, functions: new Map() };
    this.#loading = library;
    let failure;
    try {
      failure = this.#vm().loadLibrary(parsed.code);
    } finally {
      this.#loading = null;
    }
    if (failure !== null) {
      this.#release(library);
      return {
        error: "compile" in failure
          ? `ERR Error compiling function: ${failure.compile}`
          : `ERR Error registering functions: ${failure.run}`,
      };
    }
    if (library.functions.size === 0) return { error: "ERR No functions registered" };
    return library;
  }

  /**
   * Adds compiled libraries. "append": a library name already loaded is an error;
   * "replace": it is replaced. A function name used by another library is an error.
   * On error nothing changes (the new libraries are released); returns the error text.
   */
  add(libraries: Library[], policy: "append" | "replace"): string | null {
    const replaced = new Set<string>();
    const error = (text: string) => {
      for (const library of libraries) this.#release(library);
      return text;
    };
    for (const library of libraries) {
      if (this.#libraries.has(library.name)) {
        if (policy === "append") return error(`ERR Library '${library.name}' already exists`);
        replaced.add(library.name);
      }
    }
    const taken = new Map<string, string>();
    for (const [key, fn] of this.#functions) {
      if (!replaced.has(fn.library.name)) taken.set(key, fn.library.name);
    }
    for (const library of libraries) {
      for (const [key, fn] of library.functions) {
        if (taken.has(key)) return error(`ERR Function ${fn.name} already exists`);
        taken.set(key, library.name);
      }
    }
    for (const name of replaced) this.delete(name);
    for (const library of libraries) {
      this.#libraries.set(library.name, library);
      for (const [key, fn] of library.functions) this.#functions.set(key, fn);
    }
    return null;
  }

  /** redis.register_function while a library loads: an error text, or null. */
  register(ref: number, name: string, description: string | null, flags: string[]): string | null {
    const library = this.#loading;
    if (library === null) {
      return "ERR redis.register_function can only be called on FUNCTION LOAD command";
    }
    if (!validName(name)) return ERR_BAD_NAME;
    const key = name.toLowerCase();
    if (library.functions.has(key)) return "ERR Function already exists in the library";
    for (const flag of flags) {
      if (!(SCRIPT_FLAGS as readonly string[]).includes(flag)) return "ERR unknown flag given";
    }
    library.functions.set(key, {
      name,
      library,
      ref,
      description,
      flags: flags as ScriptFlag[],
    });
    return null;
  }

  /**
   * FUNCTION RESTORE and loading at start-up: compiles every library's code, then adds
   * them all ("flush": in place of every existing library). Null, or the error reply
   * text, with nothing changed.
   */
  restore(
    codes: readonly string[],
    policy: "append" | "replace" | "flush",
    wording: "restore" | "load" = "restore",
  ): string | null {
    const compiled: Library[] = [];
    for (const code of codes) {
      const library = this.compile(code);
      if ("error" in library) {
        for (const done of compiled) this.#release(done);
        return library.error;
      }
      if (compiled.some((other) => other.name === library.name)) {
        for (const done of [...compiled, library]) this.#release(done);
        return `ERR Library '${library.name}' already exists`;
      }
      compiled.push(library);
    }
    if (policy === "flush") {
      for (const name of [...this.#libraries.keys()]) this.delete(name);
      policy = "append";
    } else if (policy === "append" && wording === "restore") {
      // RESTORE words this clash without the quotes FUNCTION LOAD (and loading) use.
      const clash = compiled.find((library) => this.#libraries.has(library.name));
      if (clash !== undefined) {
        for (const done of compiled) this.#release(done);
        return `ERR Library ${clash.name} already exists`;
      }
    }
    return this.add(compiled, policy);
  }

  /** The code of every library, in load order (FUNCTION DUMP, the RDB, AOF rewrites). */
  codes(): string[] {
    return [...this.#libraries.values()].map((library) => library.code);
  }

  /** FUNCTION DELETE: false when there is no such library. */
  delete(name: string): boolean {
    const library = this.#libraries.get(name);
    if (library === undefined) return false;
    this.#libraries.delete(name);
    for (const key of library.functions.keys()) this.#functions.delete(key);
    this.#release(library);
    return true;
  }

  /** FUNCTION FLUSH: every library goes, with a fresh Lua state. */
  flush(): void {
    this.#libraries.clear();
    this.#functions.clear();
    this.#vm().reset(FUNCTION_STATE);
  }

  #release(library: Library): void {
    const vm = this.#vm();
    for (const fn of library.functions.values()) vm.release(FUNCTION_STATE, fn.ref);
    library.functions.clear();
  }
}
