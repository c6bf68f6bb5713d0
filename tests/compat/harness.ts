// Differential harness: replays a scenario file on real redis-server and on Redeno and
// compares the raw reply bytes of every command.
//
// # Scenario files (tests/compat/scenarios/*.txt)
//
// Adding a scenario = dropping a `.txt` file into the folder; compat_test.ts runs every
// file as its own test, on a fresh pair of servers, after a FLUSHALL on both.
//
// One command per line, written like an inline command to redis-cli, and split with
// the same rules Redis uses for inline requests:
//
//     SET key "hello world"          # double quotes; \n \r \t \b \a \\ \" and \xHH work
//     SET bin "\x00\xff\r\n"         # so binary keys and values can be written
//     SET k 'single quotes'          # single quotes: only \' is an escape
//     SET empty ""                   # an empty argument
//
// Lines that are empty or start with `#` are ignored. Every command is sent as a RESP
// multibulk request on one connection per server, one at a time, and exactly one full
// reply (RESP2 or RESP3) is read from each server; the raw bytes must be identical.
//
// A line starting with `@` is a directive:
//
//     @resp3                  send HELLO 3 to both servers (only the reply types are
//                             compared: the HELLO map holds connection ids)
//     @resp2                  send HELLO 2 to both servers (same rule)
//     @skip-reply CMD ...     run CMD but compare only the reply's type byte, for replies
//                             that legitimately differ (ids, timings, addresses)
//     @sort CMD ...           run CMD and compare an array/set/map reply as an unordered
//                             collection (elements, or key+value pairs, sorted)
//     @read                   read one more reply from both servers and compare it
//                             (commands that answer with several replies)
//     @let NAME TEXT [COUNT]  define a variable: TEXT (split like a command argument)
//                             repeated COUNT times (default 1). In later commands,
//                             `{{NAME}}` inside an unquoted argument is replaced by
//                             the value, e.g. `@let mb x 1048576` then `SET big {{mb}}`
//     @sleep MS               wait MS milliseconds (expiry scenarios)
//     @reconnect              close both connections and open new ones (RESP2, db 0)
//     @args ARG ...           extra redis-server arguments for both servers; only before
//                             the first command, e.g. `@args --maxclients 20`
//
// Differences are reported with the scenario line, the command and both replies
// escaped (`\r\n`, `\xHH`), long values shortened.

import { freePort, type RunningServer, startRedeno, startRedis } from "../_server.ts";

/** One parsed scenario line. */
export type Step =
  | { kind: "command"; line: number; argv: string[]; compare: "bytes" | "type" | "sorted" }
  | { kind: "hello"; line: number; version: 2 | 3 }
  | { kind: "read"; line: number }
  | { kind: "sleep"; line: number; ms: number }
  | { kind: "reconnect"; line: number };

/** A scenario file, parsed. */
export interface Scenario {
  name: string;
  /** Extra redis-server style arguments for both servers. */
  args: string[];
  steps: Step[];
}

/** One command whose replies differ. */
export interface Difference {
  line: number;
  command: string;
  redis: string;
  redeno: string;
}

/** What running a scenario found. */
export interface ScenarioResult {
  /** Commands compared. */
  compared: number;
  differences: Difference[];
}

/** A reply read off the wire: its raw bytes (one-byte string) and, for aggregates, parts. */
export interface Reply {
  /** The RESP type byte: + - : $ * % ~ > _ , # ! = ( | */
  type: string;
  raw: string;
  /** Elements of an aggregate (a map's keys and values alternate). */
  children?: Reply[];
}

/** Splits a line with Redis's inline rules (sdssplitargs); null for unbalanced quotes. */
export function splitLine(
  line: string,
  vars: ReadonlyMap<string, string> = new Map(),
): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (true) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return out;
    let current = "";
    let inDouble = false;
    let inSingle = false;
    let done = false;
    let unquoted = "";
    const flushUnquoted = () => {
      current += substitute(unquoted, vars);
      unquoted = "";
    };
    while (!done) {
      const c = line[i];
      if (inDouble) {
        if (i >= n) return null;
        if (c === "\\" && line[i + 1] === "x" && isHex(line[i + 2]) && isHex(line[i + 3])) {
          current += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === "\\" && i + 1 < n) {
          i++;
          const e = line[i];
          current += e === "n"
            ? "\n"
            : e === "r"
            ? "\r"
            : e === "t"
            ? "\t"
            : e === "b"
            ? "\b"
            : e === "a"
            ? "\x07"
            : e;
        } else if (c === '"') {
          // A closing quote must be followed by a space or the end of the line.
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          current += c;
        }
      } else if (inSingle) {
        if (i >= n) return null;
        if (c === "\\" && line[i + 1] === "'") {
          i++;
          current += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          current += c;
        }
      } else if (i >= n || isSpace(c)) {
        done = true;
      } else if (c === '"') {
        flushUnquoted();
        inDouble = true;
      } else if (c === "'") {
        flushUnquoted();
        inSingle = true;
      } else {
        unquoted += c;
      }
      if (i < n) i++;
    }
    flushUnquoted();
    out.push(current);
  }
}

function isSpace(c: string | undefined): boolean {
  return c === " " || c === "\n" || c === "\r" || c === "\t" || c === "\v" || c === "\f";
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

function substitute(text: string, vars: ReadonlyMap<string, string>): string {
  if (!text.includes("{{")) return text;
  return text.replace(/\{\{([A-Za-z0-9_-]+)\}\}/g, (_whole, name: string) => {
    const value = vars.get(name);
    if (value === undefined) throw new Error(`undefined variable {{${name}}}`);
    return value;
  });
}

/** Parses a scenario's text; throws with the line number on a malformed line. */
export function parseScenario(name: string, text: string): Scenario {
  const scenario: Scenario = { name, args: [], steps: [] };
  const vars = new Map<string, string>();
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const source = lines[index].replace(/\r$/, "");
    const trimmed = source.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const fail = (why: string): never => {
      throw new Error(`${name}:${line}: ${why}: ${source}`);
    };
    let body = trimmed;
    let compare: "bytes" | "type" | "sorted" = "bytes";
    if (trimmed.startsWith("@")) {
      const space = trimmed.search(/\s/);
      const directive = space < 0 ? trimmed : trimmed.slice(0, space);
      const rest = space < 0 ? "" : trimmed.slice(space + 1);
      const args = splitLine(rest, vars) ?? fail("unbalanced quotes");
      switch (directive) {
        case "@resp2":
        case "@resp3":
          scenario.steps.push({ kind: "hello", line, version: directive === "@resp3" ? 3 : 2 });
          continue;
        case "@read":
          scenario.steps.push({ kind: "read", line });
          continue;
        case "@reconnect":
          scenario.steps.push({ kind: "reconnect", line });
          continue;
        case "@sleep": {
          const ms = Number(args[0]);
          if (!Number.isInteger(ms) || ms < 0) fail("@sleep wants milliseconds");
          scenario.steps.push({ kind: "sleep", line, ms });
          continue;
        }
        case "@let": {
          const count = args.length > 2 ? Number(args[2]) : 1;
          if (args.length < 2 || args.length > 3 || !Number.isInteger(count) || count < 0) {
            fail("@let wants NAME TEXT [COUNT]");
          }
          if (!/^[A-Za-z0-9_-]+$/.test(args[0])) fail("bad variable name");
          vars.set(args[0], args[1].repeat(count));
          continue;
        }
        case "@args":
          if (scenario.steps.some((s) => s.kind === "command")) {
            fail("@args must come before the first command");
          }
          scenario.args.push(...args);
          continue;
        case "@skip-reply":
          compare = "type";
          body = rest;
          break;
        case "@sort":
          compare = "sorted";
          body = rest;
          break;
        default:
          fail(`unknown directive ${directive}`);
      }
    }
    const argv = splitLine(body, vars) ?? fail("unbalanced quotes");
    if (argv.length === 0) fail("no command");
    scenario.steps.push({ kind: "command", line, argv, compare });
  }
  return scenario;
}

/** Reads whole RESP2/RESP3 replies from a connection, with a deadline per reply. */
export class ReplyReader {
  #conn: Deno.Conn;
  #buf = "";
  #pos = 0;
  #closed = false;
  #chunk = new Uint8Array(64 * 1024);

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** The next full reply; `<closed>` or `<timeout>` (type "?") when none arrives. */
  async read(timeoutMs = 10000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    const start = this.#pos;
    while (true) {
      this.#pos = start;
      const reply = this.#parse();
      if (reply !== null) {
        this.#buf = this.#buf.slice(this.#pos);
        this.#pos = 0;
        return reply;
      }
      this.#pos = start;
      if (this.#closed) return { type: "?", raw: `<closed>${this.#buf}` };
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.#fill(left))) {
        return { type: "?", raw: `<timeout>${this.#buf}` };
      }
    }
  }

  // Reads more bytes; false on timeout.
  async #fill(timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), timeoutMs);
    });
    try {
      const n = await Promise.race([this.#conn.read(this.#chunk), timeout]);
      if (n === "timeout") return false;
      if (n === null) {
        this.#closed = true;
        return true;
      }
      const parts: string[] = [];
      for (let i = 0; i < n; i += 8192) {
        parts.push(String.fromCharCode(...this.#chunk.subarray(i, Math.min(n, i + 8192))));
      }
      this.#buf += parts.join("");
      return true;
    } catch {
      this.#closed = true;
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  // One reply from #pos, or null when the buffer holds only part of it.
  #parse(): Reply | null {
    const start = this.#pos;
    const line = this.#line();
    if (line === null) return null;
    const type = line[0];
    const rest = line.slice(1);
    switch (type) {
      case "+":
      case "-":
      case ":":
      case "_":
      case ",":
      case "#":
      case "(":
        return { type, raw: this.#buf.slice(start, this.#pos) };
      case "$":
      case "!":
      case "=": {
        const len = Number(rest);
        if (len < 0) return { type, raw: this.#buf.slice(start, this.#pos) };
        if (this.#buf.length < this.#pos + len + 2) return null;
        this.#pos += len + 2;
        return { type, raw: this.#buf.slice(start, this.#pos) };
      }
      case "*":
      case "~":
      case ">":
      case "%":
      case "|": {
        const count = Number(rest);
        if (count < 0) return { type, raw: this.#buf.slice(start, this.#pos) };
        const n = type === "%" || type === "|" ? count * 2 : count;
        const children: Reply[] = [];
        for (let i = 0; i < n; i++) {
          const child = this.#parse();
          if (child === null) return null;
          children.push(child);
        }
        if (type === "|") {
          // Attributes come before the reply they describe: both form one reply.
          const actual = this.#parse();
          if (actual === null) return null;
          return { ...actual, raw: this.#buf.slice(start, this.#pos) };
        }
        return { type, raw: this.#buf.slice(start, this.#pos), children };
      }
      default:
        // Not RESP: take everything buffered so the report shows it.
        this.#pos = this.#buf.length;
        return { type: "?", raw: this.#buf.slice(start) };
    }
  }

  #line(): string | null {
    const cr = this.#buf.indexOf("\r\n", this.#pos);
    if (cr < 0) return null;
    const line = this.#buf.slice(this.#pos, cr);
    this.#pos = cr + 2;
    return line;
  }
}

/** Encodes arguments (one-byte strings) as a RESP multibulk request. */
export function encodeCommand(argv: readonly string[]): Uint8Array {
  let head = `*${argv.length}\r\n`;
  let size = 0;
  for (const a of argv) size += a.length;
  const out = new Uint8Array(size + argv.length * 16 + 16);
  let at = 0;
  const put = (text: string) => {
    for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  };
  for (const a of argv) {
    head += `$${a.length}\r\n`;
    put(head);
    head = "";
    put(a);
    put("\r\n");
  }
  if (argv.length === 0) put(head);
  return out.subarray(0, at);
}

/** Escapes a one-byte string for a report, shortening it past `max` characters. */
export function escapeBytes(text: string, max = 300): string {
  let out = "";
  const limit = Math.min(text.length, max);
  for (let i = 0; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 13) out += "\\r";
    else if (c === 10) out += "\\n";
    else if (c === 92) out += "\\\\";
    else if (c === 34) out += '\\"';
    else if (c < 32 || c > 126) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += text[i];
  }
  if (text.length > max) out += `... (${text.length} bytes)`;
  return `"${out}"`;
}

function describeCommand(argv: readonly string[]): string {
  return argv.map((a) => escapeBytes(a, 60)).join(" ");
}

// An order-independent form of an aggregate reply for `@sort`.
function sortedForm(reply: Reply): string {
  if (reply.children === undefined) return reply.raw;
  const header = reply.raw.slice(0, reply.raw.indexOf("\r\n") + 2);
  const items: string[] = [];
  if (reply.type === "%") {
    for (let i = 0; i < reply.children.length; i += 2) {
      items.push(reply.children[i].raw + reply.children[i + 1].raw);
    }
  } else {
    for (const child of reply.children) items.push(child.raw);
  }
  return header + items.sort().join("");
}

/** Two connections, one to each server, kept in step. */
class Pair {
  #conns: Deno.Conn[] = [];
  #readers: ReplyReader[] = [];
  #ports: number[];

  constructor(redisPort: number, redenoPort: number) {
    this.#ports = [redisPort, redenoPort];
  }

  async open(): Promise<void> {
    this.close();
    for (const port of this.#ports) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      this.#conns.push(conn);
      this.#readers.push(new ReplyReader(conn));
    }
  }

  close(): void {
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Closed by the server.
      }
    }
    this.#conns = [];
    this.#readers = [];
  }

  /**
   * Sends the command to both servers at once (unless argv is null) and reads one
   * reply from each; both see the command at nearly the same moment.
   */
  async roundTrip(argv: readonly string[] | null): Promise<[Reply, Reply]> {
    const request = argv === null ? null : encodeCommand(argv);
    const one = async (i: number): Promise<Reply> => {
      if (request !== null) {
        try {
          let offset = 0;
          while (offset < request.length) {
            offset += await this.#conns[i].write(request.subarray(offset));
          }
        } catch (error) {
          return { type: "?", raw: `<write failed: ${(error as Error).message}>` };
        }
      }
      return await this.#readers[i].read();
    };
    const [redis, redeno] = await Promise.all([one(0), one(1)]);
    return [redis, redeno];
  }
}

/** Options of runScenario. */
export interface RunOptions {
  /** Stop collecting after this many differences (default 10). */
  maxDifferences?: number;
  /**
   * What to compare real Redis with (default "redeno"). "redis" runs the scenario on
   * two real servers: a check that the scenario itself is deterministic.
   */
  against?: "redeno" | "redis";
}

/**
 * Starts real redis-server and Redeno on free ports, replays the scenario on both after
 * a FLUSHALL, and returns every difference in the replies (up to maxDifferences).
 */
export async function runScenario(
  scenario: Scenario,
  options: RunOptions = {},
): Promise<ScenarioResult> {
  const maxDifferences = options.maxDifferences ?? 10;
  const servers: RunningServer[] = [];
  const pair: { value: Pair | null } = { value: null };
  try {
    const start = options.against === "redis" ? startRedis : startRedeno;
    const started = await Promise.allSettled([
      startRedis(freePort(), scenario.args),
      start(freePort(), scenario.args),
    ]);
    for (const s of started) if (s.status === "fulfilled") servers.push(s.value);
    for (const s of started) if (s.status === "rejected") throw s.reason;
    const p = new Pair(servers[0].port, servers[1].port);
    pair.value = p;
    await p.open();
    const result: ScenarioResult = { compared: 0, differences: [] };
    const steps: Step[] = [
      { kind: "command", line: 0, argv: ["FLUSHALL"], compare: "bytes" },
      ...scenario.steps,
    ];
    for (const step of steps) {
      if (result.differences.length >= maxDifferences) break;
      let argv: string[] | null = null;
      let compare: "bytes" | "type" | "sorted" = "bytes";
      switch (step.kind) {
        case "sleep":
          await new Promise((r) => setTimeout(r, step.ms));
          continue;
        case "reconnect":
          await p.open();
          continue;
        case "hello":
          argv = ["HELLO", String(step.version)];
          compare = "type";
          break;
        case "read":
          break;
        case "command":
          argv = step.argv;
          compare = step.compare;
          break;
      }
      const [redis, redeno] = await p.roundTrip(argv);
      result.compared++;
      // A reply that never came is a failure even when neither server answered.
      const timedOut = redis.raw.startsWith("<timeout>") || redeno.raw.startsWith("<timeout>");
      const same = timedOut
        ? false
        : compare === "type"
        ? redis.type === redeno.type
        : compare === "sorted"
        ? redis.type === redeno.type && sortedForm(redis) === sortedForm(redeno)
        : redis.raw === redeno.raw;
      if (!same) {
        result.differences.push({
          line: step.line,
          command: argv === null ? "@read" : describeCommand(argv),
          redis: escapeBytes(redis.raw),
          redeno: escapeBytes(redeno.raw),
        });
      }
      // Once a server stops answering, the two connections are out of step for good.
      if (redis.type === "?" || redeno.type === "?") break;
    }
    return result;
  } finally {
    pair.value?.close();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** A readable report of a scenario's differences. */
export function formatDifferences(name: string, differences: readonly Difference[]): string {
  const lines = [`${name}: ${differences.length} difference(s) with real Redis`];
  for (const d of differences) {
    lines.push(`  line ${d.line}: ${d.command}`);
    lines.push(`    redis:  ${d.redis}`);
    lines.push(`    redeno: ${d.redeno}`);
  }
  return lines.join("\n");
}
