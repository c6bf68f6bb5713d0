// A tiny RESP2 client for the persistence tests, and a description of a whole dataset
// (every key's type, encoding, contents and TTL) to compare two servers with.

import { type InProcessServer, startInProcess } from "../_inprocess.ts";
import { bytes } from "../_server.ts";

/** A reply: bulk strings as one-byte strings, errors as Error objects. */
export type Reply = string | number | null | Error | Reply[];

/** One connection speaking RESP2. */
export class Client {
  #conn: Deno.Conn;
  #buf = new Uint8Array(0);

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  static async connect(port: number): Promise<Client> {
    return new Client(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  /** Sends one command and reads its reply. */
  async call(...args: (string | number)[]): Promise<Reply> {
    await this.send([args.map(String)]);
    return await this.read();
  }

  /** Sends many commands at once and reads all replies (pipelining). */
  async pipeline(commands: (string | number)[][]): Promise<Reply[]> {
    await this.send(commands.map((c) => c.map(String)));
    const out: Reply[] = [];
    for (let i = 0; i < commands.length; i++) out.push(await this.read());
    return out;
  }

  async send(commands: string[][]): Promise<void> {
    const parts: string[] = [];
    for (const args of commands) {
      parts.push(`*${args.length}\r\n`);
      for (const a of args) parts.push(`$${a.length}\r\n${a}\r\n`);
    }
    const data = bytes(parts.join(""));
    let off = 0;
    while (off < data.length) off += await this.#conn.write(data.subarray(off));
  }

  async #fill(): Promise<void> {
    const chunk = new Uint8Array(1 << 16);
    const n = await this.#conn.read(chunk);
    if (n === null) throw new Error("connection closed");
    const merged = new Uint8Array(this.#buf.length + n);
    merged.set(this.#buf);
    merged.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = merged;
  }

  async #line(): Promise<string> {
    while (true) {
      const i = this.#buf.indexOf(13);
      if (i >= 0 && i + 1 < this.#buf.length) {
        let s = "";
        for (let k = 0; k < i; k++) s += String.fromCharCode(this.#buf[k]);
        this.#buf = this.#buf.subarray(i + 2);
        return s;
      }
      await this.#fill();
    }
  }

  async read(): Promise<Reply> {
    const line = await this.#line();
    const kind = line[0];
    const rest = line.slice(1);
    if (kind === "+") return rest;
    if (kind === "-") return new Error(rest);
    if (kind === ":") return Number(rest);
    if (kind === "$") {
      const n = Number(rest);
      if (n < 0) return null;
      while (this.#buf.length < n + 2) await this.#fill();
      const chunks: string[] = [];
      for (let i = 0; i < n; i += 8192) {
        chunks.push(
          String.fromCharCode.apply(
            null,
            this.#buf.subarray(i, Math.min(n, i + 8192)) as unknown as number[],
          ),
        );
      }
      this.#buf = this.#buf.subarray(n + 2);
      return chunks.join("");
    }
    if (kind === "*") {
      const n = Number(rest);
      if (n < 0) return null;
      const out: Reply[] = [];
      for (let i = 0; i < n; i++) out.push(await this.read());
      return out;
    }
    throw new Error(`unexpected reply line ${JSON.stringify(line)}`);
  }
}

/** One key as both servers should see it. */
export interface KeyDescription {
  db: number;
  key: string;
  type: string;
  encoding: string;
  contents: unknown;
  /** PTTL rounded to seconds (-1 without a TTL). */
  ttl: number;
}

/** Every key of databases 0..dbs-1, sorted by db and key. */
export async function describe(port: number, dbs = 16): Promise<KeyDescription[]> {
  const c = await Client.connect(port);
  try {
    const out: KeyDescription[] = [];
    for (let db = 0; db < dbs; db++) {
      await c.call("SELECT", db);
      const keys = (await c.call("KEYS", "*")) as string[];
      keys.sort();
      for (const key of keys) {
        const [type, encoding, pttl] = (await c.pipeline([
          ["TYPE", key],
          ["OBJECT", "ENCODING", key],
          ["PTTL", key],
        ])) as [string, string, number];
        let contents: unknown;
        if (type === "string") contents = await c.call("GET", key);
        else if (type === "list") contents = await c.call("LRANGE", key, 0, -1);
        else if (type === "set") contents = ((await c.call("SMEMBERS", key)) as string[]).sort();
        else if (type === "zset") contents = await c.call("ZRANGE", key, 0, -1, "WITHSCORES");
        else if (type === "stream") {
          // Everything a stream holds: entries, groups, pending entries and times.
          // A consumer's seen-time is not kept by an AOF (replaying sets it anew).
          contents = JSON.stringify(await c.call("XINFO", "STREAM", key, "FULL", "COUNT", 0))
            .replace(/"seen-time",\d+/g, '"seen-time",0');
        } else if (type === "hash") {
          const flat = (await c.call("HGETALL", key)) as string[];
          const pairs: string[] = [];
          for (let i = 0; i < flat.length; i += 2) pairs.push(flat[i] + "\u0000=" + flat[i + 1]);
          contents = pairs.sort();
        }
        out.push({
          db,
          key,
          type,
          encoding,
          contents,
          ttl: pttl < 0 ? pttl : Math.round(pttl / 1000),
        });
      }
    }
    return out;
  } finally {
    c.close();
  }
}

/** Runs a command in a child process and returns its exit code and output. */
export async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const result = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: result.code, out: dec.decode(result.stdout) + dec.decode(result.stderr) };
}

// Deterministic pseudo-random bytes as a one-byte string.
export function noise(n: number, seed: number, alphabet = 256): string {
  let x = seed >>> 0;
  let s = "";
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += String.fromCharCode((x >>> 16) % alphabet);
  }
  return s;
}

/**
 * Commands creating small and large values of every type, so that every encoding
 * appears: integer and LZF strings, intsets, listpacks, quicklists of many nodes,
 * hashtables, skiplists; TTLs; binary keys; several databases.
 */
export function datasetCommands(): (string | number)[][] {
  const c: (string | number)[][] = [];
  const far = Date.now() + 3_600_000;
  c.push(["SELECT", 0]);
  c.push(["SET", "str:small", "hello"]);
  for (
    const n of ["0", "-1", "127", "-32768", "65536", "-2147483648", "2147483648", "12345678901"]
  ) {
    c.push(["SET", `str:int:${n}`, n]);
  }
  c.push(["SET", "str:int64", "9223372036854775807"]);
  c.push(["SET", "str:notint", "007"]);
  c.push(["SET", "str:empty", ""]);
  c.push(["SET", "str:binary", "\x00\xff\r\n\x80"]);
  c.push(["SET", "\x00key\xff", "binary key"]);
  c.push(["SET", "str:lzf", "a".repeat(1000)]);
  c.push(["SET", "str:text", "The quick brown fox jumps over the lazy dog. ".repeat(120)]);
  c.push(["SET", "str:noise", noise(3000, 7)]);
  c.push(["SET", "str:21", "b".repeat(21)]);
  c.push(["SET", "str:ttl", "expires", "EX", 1000]);
  c.push(["SET", "str:pxat", "expires later", "PXAT", far]);
  c.push(["SET", "str:big", "0123456789".repeat(200_000)]);

  c.push(["RPUSH", "list:small", "a", "b", "c", "1", "2", "300", "-5", "100000"]);
  c.push(["RPUSH", "list:big", ...Array.from({ length: 5000 }, (_, i) => `item-${i}`)]);
  c.push(["LPUSH", "list:lpush", ...Array.from({ length: 3000 }, (_, i) => String(i * 7))]);
  c.push(["RPUSH", "list:large", ...Array.from({ length: 6 }, (_, i) => noise(10_000, i, 16))]);
  c.push(["RPUSH", "list:ttl", "x", "y"]);
  c.push(["PEXPIREAT", "list:ttl", far]);

  c.push(["SADD", "set:intset", ...Array.from({ length: 100 }, (_, i) => String(i * 3 - 50))]);
  c.push(["SADD", "set:int64", "1", "9223372036854775807", "-9223372036854775808"]);
  c.push(["SADD", "set:manyints", ...Array.from({ length: 600 }, (_, i) => String(i))]);
  c.push(["SADD", "set:small", "a", "b", "c"]);
  c.push(["SADD", "set:big", ...Array.from({ length: 1000 }, (_, i) => `member:${i}`)]);

  c.push(["ZADD", "zset:small", 1, "a", 2.5, "b", -3, "c", "inf", "d", "-inf", "e", 0.1, "f"]);
  c.push(["ZADD", "zset:ints", 1e15, "big", 4503599627370496, "huge", -0, "zero", 1e-300, "tiny"]);
  c.push(["ZADD", "zset:big", ...Array.from({ length: 300 }, (_, i) => [i / 7, `m${i}`]).flat()]);
  c.push(["ZADD", "zset:longmember", 1, "x".repeat(100), 2, "y"]);

  c.push(["HSET", "hash:small", "name", "Ada", "lang", "TypeScript", "n", "42", "neg", "-7"]);
  c.push(["HSET", "hash:big", ...Array.from({ length: 600 }, (_, i) => [`f${i}`, `v${i}`]).flat()]);
  c.push(["HSET", "hash:longvalue", "f", "v".repeat(100), "g", "1"]);
  c.push(["HSET", "hash:ttl", "a", "1"]);
  c.push(["EXPIRE", "hash:ttl", 5000]);

  c.push(["XADD", "stream:small", "1-1", "name", "Ada", "n", "42"]);
  c.push(["XADD", "stream:small", "1-2", "name", "Grace", "n", "-7"]);
  c.push(["XADD", "stream:small", "2-0", "other", "\x00\xff", "x", "y"]);
  c.push(["XADD", "stream:small", "3-0", "name", "Edsger", "n", "12345678901"]);
  c.push(["XDEL", "stream:small", "1-2"]);
  c.push(["XGROUP", "CREATE", "stream:small", "readers", "0"]);
  c.push(["XGROUP", "CREATE", "stream:small", "late", "$", "ENTRIESREAD", 3]);
  c.push(["XREADGROUP", "GROUP", "readers", "alice", "COUNT", 2, "STREAMS", "stream:small", ">"]);
  c.push(["XGROUP", "CREATECONSUMER", "stream:small", "readers", "bob"]);
  c.push(["XADD", "stream:empty", "MAXLEN", 0, "5-5", "f", "v"]);
  c.push(["XGROUP", "CREATE", "stream:empty", "g", "$"]);
  for (let i = 1; i <= 1000; i++) {
    c.push(["XADD", "stream:big", `${1700000000000 + i}-0`, "i", i, "payload", noise(20, i)]);
  }
  c.push(["XTRIM", "stream:big", "MINID", "1700000000150"]);
  c.push(["XADD", "stream:max", "18446744073709551615-18446744073709551615", "last", "one"]);
  // Over 44 bytes, so that it stays "raw" through a reload (a shorter one is embstr).
  c.push(["PFADD", "hll:sparse", ...Array.from({ length: 40 }, (_, i) => `s${i}`)]);
  c.push(["PFADD", "hll:dense", ...Array.from({ length: 3000 }, (_, i) => `e${i}`)]);
  c.push(["PFCOUNT", "hll:dense"]);
  c.push([
    "GEOADD",
    "geo:cities",
    13.361389,
    38.115556,
    "Palermo",
    15.087269,
    37.502669,
    "Catania",
  ]);
  c.push(["GEOADD", "geo:cities", -122.27652, 37.805186, "Oakland", 0, 85.05112878, "north"]);
  c.push(["XADD", "stream:ttl", "1-1", "a", "1"]);
  c.push(["PEXPIREAT", "stream:ttl", far]);

  c.push(["SELECT", 1]);
  c.push(["SET", "db1:key", "in db 1"]);
  c.push(["RPUSH", "db1:list", "one"]);
  c.push(["SELECT", 15]);
  c.push(["SET", "db15:key", "in db 15", "EX", 100]);
  c.push(["SELECT", 0]);
  return c;
}

/**
 * Both descriptions hold the same keys and values; TTLs may differ by `slack` seconds
 * (the time a loaded machine takes to save, convert and load the dataset).
 */
export function assertSameData(
  actual: KeyDescription[],
  expected: KeyDescription[],
  slack = 10,
): void {
  const strip = (d: KeyDescription) => ({ ...d, ttl: d.ttl < 0 ? d.ttl : 0 });
  if (actual.length !== expected.length) {
    const a = new Set(actual.map((d) => `${d.db}:${d.key}`));
    const e = new Set(expected.map((d) => `${d.db}:${d.key}`));
    throw new Error(
      `${actual.length} keys instead of ${expected.length}; missing ${
        JSON.stringify([...e].filter((k) => !a.has(k)))
      }, extra ${JSON.stringify([...a].filter((k) => !e.has(k)))}`,
    );
  }
  for (let i = 0; i < expected.length; i++) {
    const where = `db ${expected[i].db} key ${JSON.stringify(expected[i].key)}`;
    assertDeepEqual(strip(actual[i]), strip(expected[i]), where);
    const gap = Math.abs(actual[i].ttl - expected[i].ttl);
    if (gap > slack) {
      throw new Error(`${where}: TTL ${actual[i].ttl} s instead of ${expected[i].ttl} s`);
    }
  }
}

function assertDeepEqual(a: unknown, b: unknown, where: string): void {
  const sa = JSON.stringify(a);
  const sb = JSON.stringify(b);
  if (sa !== sb) {
    const cut = (s: string) => (s.length > 300 ? s.slice(0, 300) + "..." : s);
    throw new Error(`${where}: got ${cut(sa)}, expected ${cut(sb)}`);
  }
}

/** An in-process Redeno that never saves on its own (no save points, no AOF). */
export function startQuiet(
  directives: [string, string[]][] = [],
): Promise<InProcessServer> {
  return startInProcess([["save", [""]], ["appendonly", ["no"]], ...directives]);
}
