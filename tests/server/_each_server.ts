// Runs a test body against Redeno and against real Redis, one step each: the
// end-to-end client tests' shared frame.

import { createClient } from "npm:redis@5";
import { freePort, type RunningServer, skipWithout, startRedeno, startRedis } from "../_server.ts";

/** How long one body may take on one server. */
const SCENARIO_MS = 30000;

/**
 * Runs `body` as one step against Redeno and one against real Redis (when installed),
 * stopping each server afterwards. A body still running after SCENARIO_MS fails, and
 * stopping the server then closes the clients it was waiting on.
 */
export async function onEachServer(
  t: Deno.TestContext,
  body: (server: RunningServer) => Promise<void>,
): Promise<void> {
  const starters: [string, (port: number) => Promise<RunningServer>][] = [
    ["Redeno", (port) => startRedeno(port)],
  ];
  if (!skipWithout("redis-server")) starters.push(["Redis", (port) => startRedis(port)]);
  for (const [name, start] of starters) {
    await t.step(`on ${name}`, async () => {
      const server = await start(freePort());
      let timer: ReturnType<typeof setTimeout> | undefined;
      const overdue = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the scenario took longer than ${SCENARIO_MS} ms`)),
          SCENARIO_MS,
        );
      });
      try {
        await Promise.race([body(server), overdue]);
      } finally {
        clearTimeout(timer);
        await server.stop();
      }
    });
  }
}

/** A node-redis client for `port`; errors are thrown by the commands, not emitted. */
export function nodeRedis(port: number, RESP: 2 | 3) {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, RESP });
  client.on("error", () => {});
  return client;
}
