// The slow log (SLOWLOG GET / LEN / RESET): the most recent commands that took at least
// slowlog-log-slower-than microseconds, at most slowlog-max-len of them.
//
// An entry keeps the command's arguments as Redis keeps them: at most 32 (the 32nd
// becomes "... (N more arguments)"), each cut to 128 bytes ("... (N more bytes)"), and
// secrets replaced by "(redacted)" (AUTH, HELLO ... AUTH, CONFIG SET of a sensitive
// directive, MIGRATE ... AUTH/AUTH2, ACL SETUSER), since anyone allowed to run
// SLOWLOG GET would otherwise read them.

import { type Config, findDirective } from "../config/mod.ts";

/** Arguments an entry keeps, the last one standing for the rest. */
export const SLOWLOG_MAX_ARGS = 32;
/** Bytes an argument keeps. */
export const SLOWLOG_MAX_ARG_BYTES = 128;

const REDACTED = "(redacted)";

/** Where the slow log reads its configuration (the server, whose config is set later). */
export interface ConfigHost {
  readonly config: Config;
}

/** The client facts an entry keeps (a Session has them). */
export interface SlowLogClient {
  readonly name: string;
  readonly facts: { readonly addr: string };
}

/** One slow log entry, as SLOWLOG GET shows it. */
export interface SlowLogEntry {
  /** Counts every entry ever logged; RESET does not restart it. */
  readonly id: number;
  /** Unix seconds when the command finished. */
  readonly time: number;
  readonly durationUs: number;
  readonly args: readonly string[];
  /** The client's "ip:port". */
  readonly addr: string;
  /** The client's name ("" when it has none). */
  readonly name: string;
}

/** The slow log. */
export class SlowLog {
  readonly #host: ConfigHost;
  /** slowlog-log-slower-than, as read at the config's generation #configSeen. */
  #threshold = 0;
  #configSeen = -1;
  // Oldest first.
  #entries: SlowLogEntry[] = [];
  #nextId = 0;

  constructor(host: ConfigHost) {
    this.#host = host;
  }

  /** Entries held. */
  get length(): number {
    return this.#entries.length;
  }

  /** Whether a command that took `durationUs` is slow enough to be logged. */
  logs(durationUs: number): boolean {
    const config = this.#host.config;
    if (config.generation !== this.#configSeen) {
      this.#threshold = config.number("slowlog-log-slower-than");
      this.#configSeen = config.generation;
    }
    const threshold = this.#threshold;
    return threshold >= 0 && Math.round(durationUs) >= threshold;
  }

  /**
   * After a command ran: logs it when `durationUs` reaches slowlog-log-slower-than
   * (negative: never), then drops the oldest entries past slowlog-max-len. `argv` is
   * the command as the client sent it (name first); it is copied, cut and redacted
   * here. Returns whether the command was logged.
   */
  record(client: SlowLogClient, argv: readonly string[], durationUs: number): boolean {
    if (!this.logs(durationUs)) return false;
    const duration = Math.round(durationUs);
    this.#entries.push({
      id: this.#nextId++,
      time: Math.floor(Date.now() / 1000),
      durationUs: duration,
      args: entryArgs(argv),
      addr: client.facts.addr,
      name: client.name,
    });
    const max = this.#host.config.number("slowlog-max-len");
    if (this.#entries.length > max) this.#entries.splice(0, this.#entries.length - max);
    return true;
  }

  /** The newest `count` entries, newest first (all of them when count is negative). */
  get(count: number): SlowLogEntry[] {
    const n = count < 0 ? this.#entries.length : Math.min(count, this.#entries.length);
    const out: SlowLogEntry[] = [];
    for (let i = this.#entries.length - 1; out.length < n; i--) out.push(this.#entries[i]);
    return out;
  }

  /** SLOWLOG RESET: drops every entry (ids keep counting). */
  reset(): void {
    this.#entries = [];
  }
}

/** The arguments an entry keeps for `argv`: redacted, at most 32, each at most 128 bytes. */
export function entryArgs(argv: readonly string[]): string[] {
  const redacted = secretArguments(argv);
  const kept = Math.min(argv.length, SLOWLOG_MAX_ARGS);
  const out: string[] = [];
  for (let i = 0; i < kept; i++) {
    if (i === SLOWLOG_MAX_ARGS - 1 && argv.length > SLOWLOG_MAX_ARGS) {
      out.push(`... (${argv.length - SLOWLOG_MAX_ARGS + 1} more arguments)`);
      break;
    }
    const arg = argv[i];
    if (redacted?.has(i)) out.push(REDACTED);
    else if (arg.length > SLOWLOG_MAX_ARG_BYTES) {
      out.push(
        `${arg.slice(0, SLOWLOG_MAX_ARG_BYTES)}... (${
          arg.length - SLOWLOG_MAX_ARG_BYTES
        } more bytes)`,
      );
    } else out.push(arg);
  }
  return out;
}

/**
 * The positions in `argv` holding secrets, which Redis shows as "(redacted)" in the
 * slow log and in MONITOR; null for the many commands that hold none.
 */
export function secretArguments(argv: readonly string[]): Set<number> | null {
  const name = argv[0]?.toLowerCase();
  const out = new Set<number>();
  if (name === "auth") {
    for (let i = 1; i < argv.length; i++) out.add(i);
  } else if (name === "hello") {
    for (let i = 2; i < argv.length; i++) {
      const option = argv[i].toLowerCase();
      const more = argv.length - 1 - i;
      if (option === "auth" && more >= 2) {
        out.add(i + 1).add(i + 2);
        i += 2;
      } else if (option === "setname" && more >= 1) i++;
      else break;
    }
  } else if (name === "config" && argv[1]?.toLowerCase() === "set" && argv.length % 2 === 0) {
    for (let i = 2; i + 1 < argv.length; i += 2) {
      if (findDirective(argv[i])?.sensitive) out.add(i + 1);
    }
  } else if (name === "migrate") {
    for (let i = 6; i < argv.length; i++) {
      const option = argv[i].toLowerCase();
      if (option === "auth" && i + 1 < argv.length) out.add(++i);
      else if (option === "auth2" && i + 2 < argv.length) {
        out.add(i + 1).add(i + 2);
        i += 2;
      } else if (option === "keys") break;
    }
  } else if (name === "acl" && argv[1]?.toLowerCase() === "setuser") {
    for (let i = 2; i < argv.length; i++) out.add(i);
  } else return null;
  return out;
}
