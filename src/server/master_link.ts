// Serving the master's replication stream on a replica: every command it sends runs
// as Redis runs its master client's (no replies, no refusals for being a replica),
// and the exact bytes of each applied command are reported, in order, so that the
// offset counts them and this server's own replicas get them as they were. Commands
// of a MULTI count once its EXEC has run, as in Redis.

import { ProtocolError } from "../protocol/decoder.ts";
import type { MasterLinkClient, MasterStreamEvents } from "../replication/replication.ts";
import type { Client } from "./client.ts";
import { dispatch } from "./dispatch.ts";
import type { Server } from "./server.ts";

// A command of the master's that failed here: the replica diverges from its master.
// Redis logs it (propagation-error-behavior ignore) and goes on.
function reportError(server: Server, client: Client, argv: string[]): void {
  const text = client.reply.takeFirstError();
  const name = server.table.lookup(argv[0]) === undefined ? "<unknown>" : client.lastCommand;
  server.log.warning(
    `== CRITICAL == This replica is sending an error to its master: '${text}' after processing the command '${name}'`,
  );
}

/** Runs the master's stream on `client` (its connection is `conn`) until the link ends. */
export function serveMasterLink(
  server: Server,
  client: Client,
  conn: Deno.Conn,
  leftover: Uint8Array,
  events: MasterStreamEvents,
): MasterLinkClient {
  const decoder = client.decoder;
  // The bytes read and not yet reported as applied, oldest first.
  const unreported: Uint8Array[] = [];
  let reported = 0;
  let sending: Promise<void> = Promise.resolve();
  const take = (count: number): Uint8Array => {
    const out = new Uint8Array(count);
    let at = 0;
    while (at < count) {
      const head = unreported[0];
      const n = Math.min(head.length, count - at);
      out.set(head.subarray(0, n), at);
      at += n;
      if (n === head.length) unreported.shift();
      else unreported[0] = head.subarray(n);
    }
    return out;
  };
  let retry: ReturnType<typeof setTimeout> | undefined;
  const process = (): void => {
    try {
      let argv: string[] | null;
      while (
        !client.closing && client.postponed === null && client.deferred === null &&
        decoder.buffered > 0
      ) {
        // While a script runs past its time limit the master's stream waits (clients
        // get -BUSY; the master's writes must not be refused), and goes on after it.
        if (server.scripting.busy) {
          retry ??= setTimeout(() => {
            retry = undefined;
            client.processBuffered();
          }, 10);
          break;
        }
        if ((argv = decoder.next()) === null) break;
        // The master's commands see every key it has: none expires here on its own.
        const clock = server.keyspace.expiryClock;
        clock.frozenAt = 1;
        const errors = client.reply.errors;
        try {
          dispatch(server, client, argv);
        } finally {
          clock.frozenAt = 0;
        }
        if (client.reply.errors !== errors) reportError(server, client, argv);
        client.reply.discard();
        if (client.transaction === null) {
          const consumed = decoder.consumed;
          if (consumed > reported) {
            const bytes = take(consumed - reported);
            reported = consumed;
            events.applied(bytes, client.db.id);
          }
        }
      }
      server.endBatch();
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      server.log.warning(`Protocol error (${error.message}) from MASTER`);
      client.closing = true;
    }
  };
  client.processBuffered = () => {
    process();
    server.flushPending();
  };
  const feed = (bytes: Uint8Array): void => {
    if (bytes.length === 0) return;
    unreported.push(bytes);
    decoder.push(bytes);
    events.read(bytes.length);
    events.touched();
    process();
  };
  (async () => {
    try {
      feed(leftover);
      const chunk = new Uint8Array(64 * 1024);
      while (!client.closing) {
        const n = await conn.read(chunk);
        if (n === null) break;
        server.stats.netReplInputBytes += n;
        // As for any client: housekeeping takes a link silent for a while as idle and
        // trims its buffer, which would cut the room made for a big argument arriving.
        client.lastInteraction = Date.now();
        feed(chunk.slice(0, n));
        // What the commands wrote goes to the AOF, then to this server's replicas.
        const logged = server.flushPending();
        if (logged !== undefined) await logged;
        // A master streaming without pause keeps the loop busy (see give_way.ts).
        if (server.giveWay.due(Date.now())) await server.giveWay.wait();
      }
    } catch (error) {
      if (
        !(error instanceof Deno.errors.BadResource) && !(error instanceof Deno.errors.Interrupted)
      ) {
        server.log.warning(`Reading from MASTER failed: ${error}`);
      }
    } finally {
      client.closeNow();
      server.masterLinkClosed(client);
      events.closed();
    }
  })();
  return {
    id: client.id,
    send(bytes: Uint8Array): void {
      sending = sending.then(async () => {
        let at = 0;
        while (at < bytes.length) at += await conn.write(bytes.subarray(at));
        server.stats.netReplOutputBytes += bytes.length;
      }).catch(() => {});
    },
    close(): void {
      client.closeNow();
    },
  };
}
