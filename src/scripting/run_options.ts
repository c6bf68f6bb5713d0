// How a script or function is run (EVAL, FCALL): worked out once per script and kept
// with it, since a script is run many times and its answers never change.

/** What a run needs to know besides the code: names, and what the script may do. */
export interface ScriptRunOptions {
  /** Names it in error replies: "script: <sha>" or "script: <function name>". */
  what: string;
  /** EVAL_RO, FCALL_RO, or a no-writes flag: write commands are refused. */
  readOnly: boolean;
  /** A FUNCTION library's function (runs in the functions' Lua state). */
  isFunction: boolean;
  /** The function's name (FUNCTION STATS). */
  functionName?: string;
  /** Declares allow-oom: its commands are never refused for maxmemory. */
  allowOom?: boolean;
}
