// One client connection: read bytes, decode every complete request, dispatch each,
// then send all the replies of the batch in one write.
//
// The socket is read with plain `conn.read` into the decoder's own buffer: measured,
// this serves several times the requests of a loop over `conn.readable`.

import { ProtocolError } from "../protocol/decoder.ts";
import { ERR_ARGUMENT_TOO_LONG } from "../protocol/errors.ts";
import type { Client } from "./client.ts";
import { dispatch } from "./dispatch.ts";
import type { Server } from "./server.ts";

/** How much a client's unfinished request may change before used memory is told. */
const PENDING_STEP = 32 * 1024;

/** Unsent output (bytes) past which a client is not read until it takes some. */
const OUTPUT_BACKLOG_CAP = 64 * 1024 * 1024;

// Runs every complete request the client has buffered; stops while the client is
// blocked (BLPOP...), and is called again by the server once it is released.
function processBuffered(server: Server, client: Client): void {
  const decoder = client.decoder;
  try {
    let argv: string[] | null;
    while (
      !client.closing && client.blockedState === null && client.postponed === null &&
      client.deferred === null &&
      (argv = decoder.next()) !== null
    ) {
      // maxmemory-clients: the clients' memory as it is between two commands (argv-mem
      // counts only a request still arriving), as Redis checks it before each command.
      if (server.clientEviction.on && !server.clientEviction.update(client)) break;
      if (decoder.oversized) client.reply.error(ERR_ARGUMENT_TOO_LONG);
      else if (client.replica === null) dispatch(server, client, argv);
      else {
        // A replica's link carries only the stream to it: see Server.replicaReplied.
        const from = client.reply.length;
        dispatch(server, client, argv);
        server.replicaReplied(client, argv, from);
      }
      decoder.unauthenticated = !client.authenticated;
    }
    server.endBatch();
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    server.log.verbose(`Protocol error (${error.message}) from client id=${client.id}`);
    client.reply.error(`ERR Protocol error: ${error.message}`);
    client.closing = true;
  }
}

/**
 * Serves a client until it disconnects, quits, is killed or sends bad protocol; then
 * `ended` runs. (An idle connection costs what this function holds while it waits
 * for a read: its locals, and the one closure the server calls to resume it.)
 */
export async function serveConnection(
  server: Server,
  client: Client,
  conn: Deno.Conn,
  ended: (client: Client) => void,
): Promise<void> {
  const decoder = client.decoder;
  const queryLimit = server.config.number("client-query-buffer-limit");
  client.processBuffered = () => {
    processBuffered(server, client);
    if (client.reply.length > 0 || client.closing) server.deliver(client);
  };
  try {
    while (!client.closing) {
      // Reads go on while the client is blocked, so a disconnect is noticed at once.
      const room = decoder.spare();
      // maxmemory-clients: what the last batch left counts now (commands MULTI queued,
      // the room made for a big argument whose length just arrived), as Redis measures a
      // client once its read is processed: one past the limit goes before other clients
      // are served, not after its next read.
      if (server.clientEviction.on && !server.clientEviction.update(client)) break;
      const n = await conn.read(room);
      if (n === null) break;
      decoder.advance(n);
      server.stats.netInputBytes += n;
      const now = client.lastInteraction = Date.now();
      // A request still arriving counts too (a huge bulk string being read).
      if (server.clientEviction.on && !server.clientEviction.update(client)) break;
      processBuffered(server, client);
      // A request still arriving takes memory before it runs: once it has grown (or
      // gone) by PENDING_STEP, eviction measures the clients again.
      if (server.maxmemory.limit !== 0) {
        const pending = decoder.buffered + decoder.partialArgvBytes;
        if (Math.abs(pending - client.pendingNoted) >= PENDING_STEP) {
          client.pendingNoted = pending;
          server.memory.markStale();
        }
      }
      if (decoder.buffered > queryLimit) {
        server.log.warning(`Closing client id=${client.id}: query buffer over its limit`);
        break;
      }
      if (client.reply.length > 0) {
        // One flush for every client with output, the AOF first (appendfsync always:
        // on disk). Without appendfsync always the flush runs once every client whose
        // bytes arrived in this turn of the event loop has been served, as Redis
        // writes all replies before it sleeps: a write per client as each is served
        // wakes the reading peer each time (measured: twice the kernel time per
        // request under redis-benchmark -P 16). The client is read on while its
        // replies are sent, as Redis does: what it does not read piles up in its
        // output buffer, where the output buffer limits and maxmemory-clients see it.
        // Without a limit, reading stops at OUTPUT_BACKLOG_CAP until the client
        // catches up, so memory stays bounded.
        server.deliver(client);
        if (server.repliesWaitForDisk || client.outputBuffer >= OUTPUT_BACKLOG_CAP) {
          const logged = server.flushPending();
          if (logged !== undefined) await logged;
          if (client.outputBuffer >= OUTPUT_BACKLOG_CAP) await sendAll(server, client);
        }
      }
      // The loop has been busy a while (see give_way.ts): let the other sockets in.
      if (server.giveWay.due(now)) await server.giveWay.wait();
    }
    if (client.reply.length > 0) {
      server.deliver(client);
      const logged = server.flushPending();
      if (logged !== undefined) await logged;
      await sendAll(server, client);
    }
  } catch (error) {
    if (!isDisconnect(error)) server.log.warning(`Client id=${client.id} failed: ${error}`);
  } finally {
    client.closeNow();
    ended(client);
  }
}

// Waits until the client's output has been sent; under appendfsync always only what
// the disk's writes cover goes (flushPending set it aside), and the rest waits.
function sendAll(server: Server, client: Client): Promise<void> {
  return server.repliesWaitForDisk ? client.sent() : client.flush();
}

// Errors that only mean the peer went away or we closed the socket ourselves.
function isDisconnect(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.NotConnected;
}
