// Helpers for the AOF and persistence tests: an in-process Redeno whose persistence
// manager is started (it loads from `dir` and writes there), and small file helpers.

import { Config } from "../../src/config/mod.ts";
import { Logger } from "../../src/log.ts";
import { Server } from "../../src/server/server.ts";
import { listenOnFreePort } from "../_inprocess.ts";
import { Client, type Reply } from "./_client.ts";

/** A started in-process server with one client connection. */
export interface PersistentServer {
  server: Server;
  port: number;
  dir: string;
  client: Client;
  call(...args: (string | number)[]): Promise<Reply>;
  /** INFO persistence as a map. */
  info(): Promise<Map<string, string>>;
  /** Shuts down like SIGTERM would after prepareShutdown({save: false}). */
  stop(): Promise<void>;
}

/**
 * Starts an in-process server on `dir` with the given directives (no save rules
 * unless given), loading what is there, as `deno task start` does.
 */
export async function startPersistent(
  dir: string,
  directives: [string, string[]][] = [],
  options: { logLevel?: "warning" | "notice" | "verbose" } = {},
): Promise<PersistentServer> {
  const config = new Config();
  config.applyDirective("bind", ["127.0.0.1"]);
  config.applyDirective("dir", [dir]);
  config.applyDirective("save", [""]);
  for (const [name, args] of directives) config.applyDirective(name, args);
  const server = new Server(config, new Logger(options.logLevel ?? "warning"));
  await server.persistence.start();
  listenOnFreePort(server, config);
  const port = server.port;
  const client = await Client.connect(port);
  return {
    server,
    port,
    dir,
    client,
    call: (...args) => client.call(...args),
    async info() {
      const text = await client.call("INFO", "persistence") as string;
      return parseInfo(text);
    },
    async stop() {
      client.close();
      await server.persistence.idle();
      server.persistence.prepareShutdown({ save: false });
      await server.shutdown();
    },
  };
}

/** INFO text as field → value. */
export function parseInfo(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const at = line.indexOf(":");
    if (at > 0 && !line.startsWith("#")) map.set(line.slice(0, at), line.slice(at + 1));
  }
  return map;
}

/** The names of the files in a directory, sorted. */
export function listDir(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/** A file's bytes as a one-byte string. */
export function readText(path: string): string {
  const data = Deno.readFileSync(path);
  let out = "";
  for (let i = 0; i < data.length; i += 8192) {
    out += String.fromCharCode(...data.subarray(i, Math.min(data.length, i + 8192)));
  }
  return out;
}

/** Waits until `check` is true, polling; fails after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
