// oom-score-adj: how willing Linux's OOM killer is to pick this process
// (/proc/self/oom_score_adj), set from oom-score-adj-values: the first value while the
// server is a master, the second while it is a replica (Redeno has no child processes
// for the third).

const PATH = "/proc/self/oom_score_adj";

/** The configuration as the adjustment reads it (the server's Config fits). */
interface ConfigView {
  string(name: string): string;
  onChange(name: string, fn: () => string | void): unknown;
}

/** The log as the adjustment writes to it. */
interface LogView {
  warning(message: string): void;
}

/**
 * Applies oom-score-adj now and whenever CONFIG SET changes it or its values: `no`
 * gives back the score the process had before Redeno changed it, `yes`/`relative`
 * adds the value to that score, `absolute` sets the value; the result is kept between
 * -1000 and 1000. A score the kernel refuses (lowering it takes CAP_SYS_RESOURCE) is
 * logged, and fails the CONFIG SET with Redis's words. Does nothing off Linux.
 * Returns what to call when the server becomes a replica or a master.
 */
export function manageOomScoreAdj(
  config: ConfigView,
  log: LogView,
  isReplica: () => boolean,
): () => void {
  if (Deno.build.os !== "linux") return () => {};
  // The score before Redeno first changed it; null while Redeno has not changed it.
  let base: number | null = null;
  const apply = (): boolean => {
    const mode = config.string("oom-score-adj");
    try {
      if (mode === "no") {
        if (base !== null) Deno.writeTextFileSync(PATH, String(base));
        base = null;
        return true;
      }
      base ??= Number(Deno.readTextFileSync(PATH).trim());
      const value = Number(config.string("oom-score-adj-values").split(" ")[isReplica() ? 1 : 0]) +
        (mode === "absolute" ? 0 : base);
      Deno.writeTextFileSync(PATH, String(Math.min(1000, Math.max(-1000, value))));
      return true;
    } catch (error) {
      log.warning(`Unable to write oom_score_adj: ${(error as Error).message}`);
      return false;
    }
  };
  apply();
  const onChange = () =>
    apply() ? undefined : "Failed to set current oom_score_adj. Check server logs.";
  config.onChange("oom-score-adj", onChange);
  config.onChange("oom-score-adj-values", onChange);
  // The role changed.
  return () => {
    apply();
  };
}
