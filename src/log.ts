// Server log lines in Redis's format: "pid:M 21 Nov 2026 19:41:17.123 * message".

/** Log levels, least to most severe, as the loglevel directive names them. */
export type LogLevel = "debug" | "verbose" | "notice" | "warning";

const RANK: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3 };
const MARK: Record<LogLevel, string> = { debug: ".", verbose: "-", notice: "*", warning: "#" };
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const encoder = new TextEncoder();

/** Writes log lines to stdout or to a file. */
export class Logger {
  level: LogLevel;
  /** The role letter of each line: M for a master, S for a replica (as Redis writes). */
  role: "M" | "S" = "M";
  #file: Deno.FsFile | null = null;

  constructor(level: LogLevel = "notice", path = "") {
    this.level = level;
    if (path !== "") {
      this.#file = Deno.openSync(path, { create: true, append: true });
    }
  }

  debug(message: string): void {
    this.write("debug", message);
  }
  verbose(message: string): void {
    this.write("verbose", message);
  }
  notice(message: string): void {
    this.write("notice", message);
  }
  warning(message: string): void {
    this.write("warning", message);
  }

  /** Writes one line when `level` is at or above the configured level. */
  write(level: LogLevel, message: string): void {
    if (RANK[level] < RANK[this.level]) return;
    this.#out(`${Deno.pid}:${this.role} ${timestamp(new Date())} ${MARK[level]} ${message}\n`);
  }

  /** Writes `text` as it is, without the pid and time prefix (Redis's LL_RAW). */
  raw(level: LogLevel, text: string): void {
    if (RANK[level] < RANK[this.level]) return;
    this.#out(text);
  }

  #out(text: string): void {
    const bytes = encoder.encode(text);
    if (this.#file !== null) this.#file.writeSync(bytes);
    else Deno.stdout.writeSync(bytes);
  }

  close(): void {
    this.#file?.close();
    this.#file = null;
  }
}

function timestamp(d: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.` +
    pad(d.getMilliseconds(), 3);
}
