// EVAL's script cache: scripts by the SHA-1 of their body, compiled once (SCRIPT LOAD,
// EVAL, EVALSHA, SCRIPT EXISTS, SCRIPT FLUSH).

import { EVAL_STATE, type LuaVm } from "./lua_vm.ts";
import { sha1Hex } from "../util/sha.ts";
import { parseScriptShebang, type ScriptFlag } from "./shebang.ts";
import type { ScriptRunOptions } from "./run_options.ts";

/** A compiled EVAL script. */
export interface CachedScript {
  sha: string;
  body: string;
  /** The compiled function in the VM. */
  ref: number;
  /** Flags from its shebang; null without one. */
  flags: ScriptFlag[] | null;
  /** How EVAL / EVALSHA run it, worked out on first use. */
  options?: ScriptRunOptions;
}

/** The scripts EVAL and SCRIPT LOAD compiled. */
export class ScriptCache {
  readonly #vm: () => LuaVm;
  readonly #scripts = new Map<string, CachedScript>();
  #bodyBytes = 0;
  /** The script `get` found last. */
  #last: CachedScript | null = null;

  constructor(vm: () => LuaVm) {
    this.#vm = vm;
  }

  /** A script by its SHA-1 (any letter case). */
  get(sha: string): CachedScript | undefined {
    // EVALSHA's digest is a new string each time: comparing it with the last one found
    // is cheaper than hashing it for the map.
    const last = this.#last;
    if (last !== null && last.sha === sha) return last;
    const script = this.#scripts.get(sha) ?? this.#scripts.get(sha.toLowerCase());
    if (script !== undefined) this.#last = script;
    return script;
  }

  /** Compiles and keeps a script; the error reply text when it does not compile. */
  load(body: string): CachedScript | string {
    const sha = sha1Hex(body);
    const known = this.#scripts.get(sha);
    if (known !== undefined) return known;
    const shebang = parseScriptShebang(body);
    if (typeof shebang === "string") return `ERR ${shebang}`;
    const ref = this.#vm().compile(EVAL_STATE, "@user_script", shebang.code);
    if (typeof ref === "string") return `ERR Error compiling script (new function): ${ref}`;
    const script = { sha, body, ref, flags: shebang.flags };
    this.#scripts.set(sha, script);
    this.#bodyBytes += body.length;
    return script;
  }

  /** SCRIPT FLUSH: forgets every script, with a fresh Lua state. */
  flush(): void {
    this.#scripts.clear();
    this.#last = null;
    this.#bodyBytes = 0;
    this.#vm().reset(EVAL_STATE);
  }

  /** INFO number_of_cached_scripts. */
  get count(): number {
    return this.#scripts.size;
  }

  /** INFO used_memory_scripts_eval: the bodies and the bookkeeping, roughly as Redis counts. */
  get memory(): number {
    return this.#bodyBytes + this.#scripts.size * (40 + 64);
  }
}
