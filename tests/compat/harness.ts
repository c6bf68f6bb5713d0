// Differential harness: replays a scenario file on real redis-server and on Redeno and
// compares the raw reply bytes of every command, for one or several clients.
//
// # Scenario files (tests/compat/scenarios/*.txt)
//
// Adding a scenario = dropping a `.txt` file into the folder; compat_test.ts runs every
// file as its own test, on a fresh pair of servers, after a FLUSHALL on both. Scenarios
// for features Redeno does not have yet wait in tests/compat/scenarios_pending/ (see
// compat_test.ts for the environment variables that run them).
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
// multibulk request, and exactly one full reply (RESP2 or RESP3, a `>` push included)
// is read from each server; the raw bytes must be identical.
//
// ## Clients
//
// A line may start with a client number: `2: BLPOP q 0` runs on client 2. Each client
// has its own connection to each server, opened by the first line that names it; a
// line without a number is client 1's. Directives that concern one client take the
// number right after their name (`@read 2:`), or in front of it (`2: @read`).
//
// ## Directives
//
// A line starting with `@` is a directive ([N:] is an optional client number):
//
//     @send [N:] CMD ...      send CMD without reading its reply (a command that blocks,
//                             or pipelining), then give both servers 50 ms to take it
//     @read [N:] [COUNT]      read one reply (or push; COUNT of them, each compared on
//                             its own) from the client on both servers; waits up to 10 s
//     @none [N:]              wait 100 ms, then demand that neither server has sent the
//                             client anything (still blocked, no message published)
//     @resp3 [N:]             send HELLO 3 on both servers (only the reply types are
//                             compared: the HELLO map holds connection ids)
//     @resp2 [N:]             send HELLO 2 on both servers (same rule)
//     @skip-reply [N:] CMD    run CMD but compare only the reply's type byte, for replies
//                             that legitimately differ (ids, timings, addresses)
//     @sort [N:] CMD ...      run CMD and compare an array/set/map reply as an unordered
//                             collection (elements, or key+value pairs, sorted)
//     @mask REGEX ...         from here on, replace every match of each regex by `<*>`
//                             before comparing, in each string or number of both
//                             replies on its own (without its CRLF; bulk lengths then
//                             do not count); `@mask` alone forgets them. Write a regex
//                             unquoted or in single quotes, as double quotes eat
//                             backslashes: `@mask (?<=id=)\d+ '^\d+\.\d+(?= \[)'`
//     @reconnect [N:]         close the client's connections and give the servers 50 ms
//                             to notice; the client's next line opens new ones (RESP2,
//                             db 0). Also the way to drop a blocked or subscribed client
//     @sleep MS               wait MS milliseconds (expiry scenarios)
//     @let NAME TEXT [COUNT]  define a variable: TEXT (split like a command argument)
//                             repeated COUNT times (default 1). In later commands,
//                             `{{NAME}}` inside an unquoted argument is replaced by
//                             the value, e.g. `@let mb x 1048576` then `SET big {{mb}}`
//     @id [N:] NAME           run CLIENT ID on the client and remember each server's
//                             answer: `{{NAME}}` in later lines is replaced by the id of
//                             the server the line is sent to (CLIENT KILL ID {{c2}},
//                             CLIENT TRACKING ON REDIRECT {{c3}}, CLIENT UNBLOCK {{c2}})
//     @aof                    compare the commands both servers appended to their AOF so
//                             far: a scenario with `@aof` runs both servers with
//                             `appendonly yes` and `appendfsync no` (so that no write is
//                             held back), to check what served clients propagate
//     @args ARG ...           extra redis-server arguments for both servers; only before
//                             the first command, e.g. `@args --maxclients 20`
//
// Client 2 blocking until client 1 pushes, then a subscriber (SUBSCRIBE answers at
// once, so it needs no @send; what is published later is read with @read):
//
//     @send 2: BLPOP q 0
//     @none 2:
//     RPUSH q a
//     @read 2:
//     3: SUBSCRIBE news
//     PUBLISH news hello
//     @read 3:
//
// Differences are reported with the scenario line, the client, the command and both
// replies escaped (`\r\n`, `\xHH`), long values shortened. To replay files by hand:
// `deno run -A tests/compat/harness.ts [--self] [--trace] FILE...` (--self: Redis against
// Redis; --trace: print every reply of Redis).

import { RequestDecoder } from "../../src/protocol/decoder.ts";
import { freePort, type RunningServer, startRedeno, startRedis } from "../_server.ts";

/** How two replies are compared. */
export type Compare = "bytes" | "type" | "sorted";

/** One parsed scenario line; `client` is the client number (1 when not written). */
export type Step =
  | { kind: "command"; line: number; client: number; argv: string[]; compare: Compare }
  | { kind: "send"; line: number; client: number; argv: string[] }
  | { kind: "hello"; line: number; client: number; version: 2 | 3 }
  | { kind: "read"; line: number; client: number }
  | { kind: "none"; line: number; client: number }
  | { kind: "reconnect"; line: number; client: number }
  | { kind: "mask"; line: number; patterns: string[] }
  | { kind: "sleep"; line: number; ms: number }
  | { kind: "aof"; line: number }
  | { kind: "id"; line: number; client: number; name: string };

/** A scenario file, parsed. */
export interface Scenario {
  name: string;
  /** Extra redis-server style arguments for both servers. */
  args: string[];
  /** True when the scenario compares AOF contents (`@aof`). */
  aof: boolean;
  steps: Step[];
}

/** One step whose replies differ. */
export interface Difference {
  line: number;
  command: string;
  redis: string;
  redeno: string;
}

/** What running a scenario found. */
export interface ScenarioResult {
  /** Replies (and AOF checks) compared. */
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

// Splits off a leading client number (`2: ...`, `2:...`); null for client 0.
function splitClient(text: string): { client: number | null; rest: string } | null {
  const m = /^(\d+):\s*/.exec(text);
  if (m === null) return { client: null, rest: text };
  const client = Number(m[1]);
  if (!Number.isSafeInteger(client) || client < 1) return null;
  return { client, rest: text.slice(m[0].length) };
}

/** Parses a scenario's text; throws with the line number on a malformed line. */
export function parseScenario(name: string, text: string): Scenario {
  const scenario: Scenario = { name, args: [], aof: false, steps: [] };
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
    // The client number, in front of the line or right after a directive's name.
    const front = splitClient(trimmed) ?? fail("clients are numbered from 1");
    let client = front.client;
    let body = front.rest;
    let compare: Compare = "bytes";
    let send = false;
    if (body.startsWith("@")) {
      const space = body.search(/\s/);
      const directive = space < 0 ? body : body.slice(0, space);
      const after = splitClient(space < 0 ? "" : body.slice(space + 1).trim()) ??
        fail("clients are numbered from 1");
      if (after.client !== null && client !== null) fail("two client numbers");
      client ??= after.client;
      const rest = after.rest;
      const noClient = () => {
        if (client !== null) fail(`${directive} takes no client number`);
      };
      const noArgs = () => {
        if (rest !== "") fail(`${directive} takes no arguments`);
      };
      switch (directive) {
        case "@resp2":
        case "@resp3":
          noArgs();
          scenario.steps.push({
            kind: "hello",
            line,
            client: client ?? 1,
            version: directive === "@resp3" ? 3 : 2,
          });
          continue;
        case "@read": {
          // `@read [N:] [COUNT]`: COUNT replies, each compared on its own.
          const count = rest === "" ? 1 : Number(rest);
          if (!Number.isInteger(count) || count < 1) fail("@read wants a count of replies");
          for (let i = 0; i < count; i++) {
            scenario.steps.push({ kind: "read", line, client: client ?? 1 });
          }
          continue;
        }
        case "@none":
        case "@reconnect":
          noArgs();
          scenario.steps.push({
            kind: directive.slice(1) as "none" | "reconnect",
            line,
            client: client ?? 1,
          });
          continue;
        case "@id": {
          // The value differs per server: `{{NAME}}` stays in the text until run time.
          if (!/^[A-Za-z0-9_-]+$/.test(rest)) fail("@id wants [N:] NAME");
          vars.set(rest, `{{${rest}}}`);
          scenario.steps.push({ kind: "id", line, client: client ?? 1, name: rest });
          continue;
        }
        case "@aof":
          noArgs();
          noClient();
          scenario.aof = true;
          scenario.steps.push({ kind: "aof", line });
          continue;
        case "@mask": {
          noClient();
          const patterns = splitLine(rest) ?? fail("unbalanced quotes");
          for (const p of patterns) {
            try {
              new RegExp(p);
            } catch {
              fail(`bad regex ${p}`);
            }
          }
          scenario.steps.push({ kind: "mask", line, patterns });
          continue;
        }
        case "@sleep": {
          noClient();
          const ms = Number(rest);
          if (rest === "" || !Number.isInteger(ms) || ms < 0) fail("@sleep wants milliseconds");
          scenario.steps.push({ kind: "sleep", line, ms });
          continue;
        }
        case "@let": {
          noClient();
          const args = splitLine(rest, vars) ?? fail("unbalanced quotes");
          const count = args.length > 2 ? Number(args[2]) : 1;
          if (args.length < 2 || args.length > 3 || !Number.isInteger(count) || count < 0) {
            fail("@let wants NAME TEXT [COUNT]");
          }
          if (!/^[A-Za-z0-9_-]+$/.test(args[0])) fail("bad variable name");
          vars.set(args[0], args[1].repeat(count));
          continue;
        }
        case "@args":
          noClient();
          if (scenario.steps.some((s) => s.kind === "command" || s.kind === "send")) {
            fail("@args must come before the first command");
          }
          scenario.args.push(...(splitLine(rest, vars) ?? fail("unbalanced quotes")));
          continue;
        case "@send":
          send = true;
          body = rest;
          break;
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
    scenario.steps.push(
      send
        ? { kind: "send", line, client: client ?? 1, argv }
        : { kind: "command", line, client: client ?? 1, argv, compare },
    );
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
  #reading: Promise<number | null> | null = null;

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

  // Reads more bytes; false on timeout. A read that times out stays pending and its
  // bytes are taken by the next call, so nothing is lost between two reads.
  async #fill(timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), timeoutMs);
    });
    this.#reading ??= this.#conn.read(this.#chunk).catch(() => null);
    try {
      const n = await Promise.race([this.#reading, timeout]);
      if (n === "timeout") return false;
      this.#reading = null;
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

// A string with every mask match replaced (masks carry the `g` flag).
function masked(text: string, masks: readonly RegExp[]): string {
  for (const mask of masks) text = text.replace(mask, "<*>");
  return text;
}

// The form of a reply that `@mask` compares: strings masked, bulk lengths left out.
function maskedForm(reply: Reply, masks: readonly RegExp[]): string {
  if (masks.length === 0) return reply.raw;
  const eol = reply.raw.indexOf("\r\n");
  if (reply.children !== undefined) {
    return reply.raw.slice(0, eol + 2) +
      reply.children.map((child) => maskedForm(child, masks)).join("");
  }
  if ((reply.type === "$" || reply.type === "!" || reply.type === "=") && eol > 1) {
    if (reply.raw[1] === "-") return reply.raw;
    return `${reply.type}\r\n${masked(reply.raw.slice(eol + 2, -2), masks)}\r\n`;
  }
  return `${reply.type}${masked(reply.raw.slice(1, -2), masks)}\r\n`;
}

// An order-independent form of an aggregate reply for `@sort`.
function sortedForm(reply: Reply, masks: readonly RegExp[]): string {
  if (reply.children === undefined) return maskedForm(reply, masks);
  const header = reply.raw.slice(0, reply.raw.indexOf("\r\n") + 2);
  const items: string[] = [];
  const form = (r: Reply) => maskedForm(r, masks);
  if (reply.type === "%") {
    for (let i = 0; i < reply.children.length; i += 2) {
      items.push(form(reply.children[i]) + form(reply.children[i + 1]));
    }
  } else {
    for (const child of reply.children) items.push(form(child));
  }
  return header + items.sort().join("");
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** How long `@send` and `@reconnect` give both servers before the next line runs. */
const SEND_SETTLE_MS = 50;
/** How long `@none` listens for a reply that should not come. */
const NONE_WAIT_MS = 100;

/** One client: a connection to each server (real Redis first), kept in step. */
class Client {
  #conns: Deno.Conn[];
  #readers: ReplyReader[];

  private constructor(conns: Deno.Conn[]) {
    this.#conns = conns;
    this.#readers = conns.map((conn) => new ReplyReader(conn));
  }

  static async open(ports: readonly number[]): Promise<Client> {
    const conns: Deno.Conn[] = [];
    try {
      for (const port of ports) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    } catch (error) {
      for (const conn of conns) conn.close();
      throw error;
    }
    return new Client(conns);
  }

  close(): void {
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Closed by the server.
      }
    }
  }

  /**
   * Sends each server its request (real Redis first) at once; a failed write becomes a
   * `?` reply.
   */
  send(requests: readonly Uint8Array[]): Promise<(Reply | null)[]> {
    return Promise.all(this.#conns.map(async (conn, i) => {
      try {
        const request = requests[i];
        let offset = 0;
        while (offset < request.length) offset += await conn.write(request.subarray(offset));
        return null;
      } catch (error) {
        return { type: "?", raw: `<write failed: ${(error as Error).message}>` };
      }
    }));
  }

  /** One reply from each server, read side by side. */
  async read(timeoutMs?: number): Promise<[Reply, Reply]> {
    const [redis, redeno] = await Promise.all(this.#readers.map((r) => r.read(timeoutMs)));
    return [redis, redeno];
  }

  /** Sends (unless argvs is null) and reads one reply from each server. */
  async roundTrip(argvs: readonly string[][] | null, timeoutMs?: number): Promise<[Reply, Reply]> {
    if (argvs !== null) {
      const failed = await this.send(argvs.map((argv) => encodeCommand(argv)));
      if (failed[0] !== null || failed[1] !== null) {
        const [redis, redeno] = await this.read(100);
        return [failed[0] ?? redis, failed[1] ?? redeno];
      }
    }
    return await this.read(timeoutMs);
  }
}

/**
 * The commands in an AOF directory's incremental files, in sequence order, as argv
 * arrays, read with the server's own request decoder (the base file holds only what
 * existed before AOF was turned on: nothing here). Throws on bytes that are not RESP.
 */
export function aofArgvs(dir: string): string[][] {
  const aofDir = `${dir}/appendonlydir`;
  const names = [...Deno.readDirSync(aofDir)].map((e) => e.name)
    .filter((n) => n.endsWith(".incr.aof"));
  const seq = (n: string) => Number(/\.(\d+)\.incr\.aof$/.exec(n)?.[1] ?? 0);
  names.sort((a, b) => seq(a) - seq(b));
  const commands: string[][] = [];
  for (const name of names) {
    const bytes = Deno.readFileSync(`${aofDir}/${name}`);
    const decoder = new RequestDecoder({ aof: true });
    for (let at = 0; at < bytes.length;) {
      const room = decoder.spare();
      const n = Math.min(room.length, bytes.length - at);
      room.set(bytes.subarray(at, at + n));
      decoder.advance(n);
      at += n;
      let argv: string[] | null;
      while ((argv = decoder.next()) !== null) commands.push(argv);
    }
  }
  return commands;
}

/** aofArgvs as escaped text, for reports. */
export function readAofCommands(dir: string): string[] {
  try {
    return aofArgvs(dir).map(describeCommand);
  } catch (error) {
    return [`<no AOF or not RESP: ${(error as Error).message}>`];
  }
}

// The AOF commands of both servers from the first one that differs (null when equal).
function aofDifference(redis: string[], redeno: string[]): [string, string] | null {
  let i = 0;
  while (i < redis.length && i < redeno.length && redis[i] === redeno[i]) i++;
  if (i === redis.length && i === redeno.length) return null;
  const show = (list: string[]) =>
    list.length === i
      ? `<end after ${i} commands>`
      : `#${i + 1}: ${list.slice(i, i + 4).join(" | ")}${list.length > i + 4 ? " | ..." : ""}`;
  return [show(redis), show(redeno)];
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
  /** How long to wait for a reply before calling it missing (default 10 s). */
  replyTimeoutMs?: number;
  /** Called with every step and what real Redis answered (for writing scenarios). */
  trace?: (line: number, step: string, redis: string) => void;
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
  const clients = new Map<number, Client>();
  // With `@aof`, each server appends to a directory of its own.
  const dirs = scenario.aof
    ? [0, 1].map(() => Deno.makeTempDirSync({ prefix: "redeno-compat-" }))
    : [];
  const argsFor = (i: number) =>
    scenario.aof
      // appendfsync everysec may hold writes back while an fsync runs; "no" never does.
      ? ["--appendonly", "yes", "--appendfsync", "no", "--dir", dirs[i], ...scenario.args]
      : scenario.args;
  try {
    const start = options.against === "redis" ? startRedis : startRedeno;
    const started = await Promise.allSettled([
      startRedis(freePort(), argsFor(0)),
      start(freePort(), argsFor(1)),
    ]);
    for (const s of started) if (s.status === "fulfilled") servers.push(s.value);
    for (const s of started) if (s.status === "rejected") throw s.reason;
    const ports = servers.map((s) => s.port);
    const client = async (n: number): Promise<Client> => {
      let c = clients.get(n);
      if (c === undefined) {
        c = await Client.open(ports);
        clients.set(n, c);
      }
      return c;
    };
    const result: ScenarioResult = { compared: 0, differences: [] };
    let masks: RegExp[] = [];
    // `@id` values, one map per server: the same name stands for each server's own id.
    const ids: Map<string, string>[] = [new Map(), new Map()];
    const perServer = (argv: readonly string[]): string[][] =>
      ids.map((values) =>
        argv.map((arg) =>
          arg.includes("{{")
            ? arg.replace(/\{\{([A-Za-z0-9_-]+)\}\}/g, (whole, name) => values.get(name) ?? whole)
            : arg
        )
      );
    const steps: Step[] = [
      { kind: "command", line: 0, client: 1, argv: ["FLUSHALL"], compare: "bytes" },
      ...scenario.steps,
    ];
    run: for (const step of steps) {
      if (result.differences.length >= maxDifferences) break;
      const who = "client" in step && step.client !== 1 ? `${step.client}: ` : "";
      const differ = (what: string, redis: string, redeno: string) =>
        result.differences.push({ line: step.line, command: who + what, redis, redeno });
      const trace = (what: string, redis: string) => options.trace?.(step.line, who + what, redis);
      let argv: string[] | null = null;
      let compare: Compare = "bytes";
      switch (step.kind) {
        case "sleep":
          await delay(step.ms);
          continue;
        case "mask":
          masks = step.patterns.length === 0
            ? []
            : [...masks, ...step.patterns.map((p) => new RegExp(p, "g"))];
          continue;
        case "reconnect": {
          const old = clients.get(step.client);
          if (old === undefined) continue;
          old.close();
          clients.delete(step.client);
          // Let both servers see the disconnection before the next line runs.
          await delay(SEND_SETTLE_MS);
          continue;
        }
        case "send": {
          const [redis, redeno] = await (await client(step.client)).send(
            perServer(step.argv).map((argv) => encodeCommand(argv)),
          );
          trace(`@send ${describeCommand(step.argv)}`, "");
          if (redis !== null || redeno !== null) {
            differ(`@send ${describeCommand(step.argv)}`, redis?.raw ?? "", redeno?.raw ?? "");
            break run;
          }
          await delay(SEND_SETTLE_MS);
          continue;
        }
        case "aof": {
          // Both servers write to the OS before they reply; give the file a moment anyway.
          await delay(20);
          result.compared++;
          // Masks apply to AOF lines too (delivery times in XCLAIM, generated IDs).
          const aofLines = (dir: string) => readAofCommands(dir).map((l) => masked(l, masks));
          const found = aofDifference(aofLines(dirs[0]), aofLines(dirs[1]));
          trace("@aof", readAofCommands(dirs[0]).join("\n"));
          if (found !== null) differ("@aof", ...found);
          continue;
        }
        case "id": {
          const clientId = ["CLIENT", "ID"];
          const replies = await (await client(step.client)).roundTrip([clientId, clientId]);
          trace(`@id ${step.name}`, escapeBytes(replies[0].raw));
          replies.forEach((reply, i) => {
            const id = /^:(\d+)\r\n$/.exec(reply.raw)?.[1];
            if (id !== undefined) ids[i].set(step.name, id);
          });
          if (replies.some((reply) => reply.type !== ":")) {
            // Later lines would send `{{NAME}}` itself.
            differ(`@id ${step.name}`, escapeBytes(replies[0].raw), escapeBytes(replies[1].raw));
            break run;
          }
          continue;
        }
        case "none": {
          const [redis, redeno] = await (await client(step.client)).read(NONE_WAIT_MS);
          result.compared++;
          const quiet = (r: Reply) => r.raw === "<timeout>";
          trace("@none", quiet(redis) ? "<nothing>" : escapeBytes(redis.raw));
          if (!quiet(redis) || !quiet(redeno)) {
            const show = (r: Reply) => quiet(r) ? "<nothing>" : escapeBytes(r.raw);
            differ("@none", show(redis), show(redeno));
          }
          continue;
        }
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
      const [redis, redeno] = await (await client(step.client)).roundTrip(
        argv === null ? null : perServer(argv),
        options.replyTimeoutMs,
      );
      result.compared++;
      trace(argv === null ? "@read" : describeCommand(argv), escapeBytes(redis.raw));
      // A reply that never came is a failure even when neither server answered.
      const timedOut = redis.raw.startsWith("<timeout>") || redeno.raw.startsWith("<timeout>");
      const same = timedOut
        ? false
        : compare === "type"
        ? redis.type === redeno.type
        : compare === "sorted"
        ? redis.type === redeno.type && sortedForm(redis, masks) === sortedForm(redeno, masks)
        : maskedForm(redis, masks) === maskedForm(redeno, masks);
      if (!same) {
        differ(
          argv === null ? "@read" : describeCommand(argv),
          escapeBytes(redis.raw),
          escapeBytes(redeno.raw),
        );
        // A client whose server stopped answering is out of step for good.
        if (redis.type === "?" || redeno.type === "?") break;
      }
    }
    return result;
  } finally {
    for (const c of clients.values()) c.close();
    await Promise.all(servers.map((s) => s.stop()));
    for (const dir of dirs) Deno.removeSync(dir, { recursive: true });
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

// `deno run -A tests/compat/harness.ts [--self] [--trace] FILE...` replays scenario files
// from anywhere (scenarios_pending/ included) and prints their differences; --self
// compares real Redis with a second real Redis, --trace prints what Redis answered.
if (import.meta.main) {
  const flags = new Set(Deno.args.filter((a) => a.startsWith("--")));
  let failed = 0;
  for (const path of Deno.args.filter((a) => !a.startsWith("--"))) {
    const name = path.slice(path.lastIndexOf("/") + 1);
    const scenario = parseScenario(name, Deno.readTextFileSync(path));
    const started = performance.now();
    const result = await runScenario(scenario, {
      against: flags.has("--self") ? "redis" : "redeno",
      trace: flags.has("--trace")
        ? (line, step, redis) => console.log(`${line}: ${step}\n    ${redis}`)
        : undefined,
    });
    const ms = Math.round(performance.now() - started);
    if (result.differences.length === 0) {
      console.log(`ok    ${name}: ${result.compared} replies (${ms} ms)`);
    } else {
      failed++;
      console.log(formatDifferences(name, result.differences));
    }
  }
  Deno.exit(failed === 0 ? 0 : 1);
}
