// An in-process Redeno server for tests that need to look inside: the writes it
// propagates (the stream the AOF and replicas get), its keyspace.

import { Config } from "../src/config/mod.ts";
import { Logger } from "../src/log.ts";
import { Server } from "../src/server/server.ts";
import { encodeCommand, ReplyReader } from "./compat/harness.ts";
import { freePort } from "./_server.ts";

/** A server running inside the test process, with a raw client connection. */
export interface InProcessServer {
  server: Server;
  port: number;
  /** Every propagated write as [db, argv...]. */
  propagated: string[][];
  /** Sends one command on the shared connection and returns its whole raw reply. */
  call(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** The propagated writes recorded since the last call, which are then forgotten. */
export function drain(t: { propagated: string[][] }): string[][] {
  return t.propagated.splice(0, t.propagated.length);
}

/**
 * Opens the listeners of an in-process server on a free port, moving to another one
 * when something took the port since freePort() looked (another test process, say).
 */
export function listenOnFreePort(server: Server, config: Config): void {
  for (let attempt = 1;; attempt++) {
    config.applyDirective("port", [String(freePort())]);
    try {
      server.listen();
      return;
    } catch (error) {
      if (attempt === 5 || !String(error).includes("AddrInUse")) throw error;
    }
  }
}

/** Starts a server on a free loopback port; `directives` are applied like --name value. */
export async function startInProcess(
  directives: [string, string[]][] = [],
): Promise<InProcessServer> {
  const config = new Config();
  config.applyDirective("bind", ["127.0.0.1"]);
  // Nothing saved or loaded behind the test's back.
  config.applyDirective("save", [""]);
  config.applyDirective("dir", [Deno.makeTempDirSync({ prefix: "redeno-inprocess-" })]);
  for (const [name, args] of directives) config.applyDirective(name, args);
  const server = new Server(config, new Logger("warning"));
  const propagated: string[][] = [];
  // The stream the AOF gets (replicas also get PUBLISH).
  server.replicationFeed.push((db, argv, replicasOnly) => {
    if (!replicasOnly) propagated.push([String(db), ...argv]);
  });
  listenOnFreePort(server, config);
  const port = server.port;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = new ReplyReader(conn);
  return {
    server,
    port,
    propagated,
    async call(...args: string[]): Promise<string> {
      await conn.write(encodeCommand(args));
      return (await reader.read()).raw;
    },
    async stop(): Promise<void> {
      conn.close();
      await server.shutdown();
    },
  };
}
