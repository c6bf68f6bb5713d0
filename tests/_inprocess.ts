// An in-process Redeno server for tests that need to look inside: the writes it
// propagates (the deterministic form later sent to the AOF and replicas), its keyspace.

import { Config } from "../src/config.ts";
import { Logger } from "../src/log.ts";
import { Server } from "../src/server/server.ts";
import { bytes, freePort, readUntilQuiet, resp } from "./_server.ts";

/** A server running inside the test process, with a raw client connection. */
export interface InProcessServer {
  server: Server;
  port: number;
  /** Every propagated write as [db, argv...]. */
  propagated: string[][];
  /** Sends one command on the shared connection and returns the raw reply bytes. */
  call(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Starts a server on a free loopback port; `directives` are applied like --name value. */
export async function startInProcess(
  directives: [string, string[]][] = [],
): Promise<InProcessServer> {
  const config = new Config();
  const port = freePort();
  config.applyDirective("port", [String(port)]);
  config.applyDirective("bind", ["127.0.0.1"]);
  for (const [name, args] of directives) config.applyDirective(name, args);
  const server = new Server(config, new Logger("warning"));
  const propagated: string[][] = [];
  server.propagateListeners.push((db, argv) => propagated.push([String(db), ...argv]));
  server.listen();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  return {
    server,
    port,
    propagated,
    async call(...args: string[]): Promise<string> {
      await conn.write(bytes(resp(...args)));
      return await readUntilQuiet(conn, 30);
    },
    async stop(): Promise<void> {
      conn.close();
      await server.shutdown();
    },
  };
}
