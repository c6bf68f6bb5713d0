// Replies sent straight to the socket (src/server/direct_send.ts): the descriptor is
// found for TCP and Unix connections, bytes sent arrive, and a reader far slower than
// the server gets every byte of replies much larger than the socket buffers, in order,
// as the server falls back to waiting writes and back again.

import assert from "node:assert/strict";
import { directSocket, sendNow } from "../../src/server/direct_send.ts";
import { freePort, startRedeno } from "../_server.ts";

async function readExactly(conn: Deno.Conn, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let at = 0;
  while (at < length) {
    const n = await conn.read(out.subarray(at));
    if (n === null) throw new Error(`connection ended after ${at} of ${length} bytes`);
    at += n;
  }
  return out;
}

Deno.test("a TCP connection's socket takes bytes sent directly", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const accepted = await listener.accept();
  try {
    const fd = directSocket(accepted);
    assert.ok(fd >= 0, "no descriptor for a TCP connection (the tests run with --allow-all)");
    const bytes = new TextEncoder().encode("+hello\r\nunused");
    assert.equal(sendNow(fd, bytes, 8), 8);
    assert.deepEqual(await readExactly(client, 8), bytes.subarray(0, 8));
  } finally {
    client.close();
    accepted.close();
    listener.close();
  }
});

// Deno 2.9 keeps no descriptor on Unix connections: their replies go through
// conn.write (tests/server/unix_socket_test.ts serves them); one found must work.
Deno.test("a Unix connection's socket, when its descriptor is known, takes bytes sent directly", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "redeno-direct-" });
  const path = `${dir}/s.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const client = await Deno.connect({ transport: "unix", path });
  const accepted = await listener.accept();
  try {
    const fd = directSocket(accepted);
    if (fd < 0) return;
    const bytes = new TextEncoder().encode(":1\r\n");
    assert.equal(sendNow(fd, bytes, bytes.length), bytes.length);
    assert.deepEqual(await readExactly(client, bytes.length), bytes);
  } finally {
    client.close();
    accepted.close();
    listener.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a slow reader gets every byte of replies larger than the socket buffers, in order", async () => {
  const server = await startRedeno(freePort());
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    const size = 3 * 1024 * 1024;
    const value = new Uint8Array(size);
    for (let i = 0; i < size; i++) value[i] = (i * 7 + (i >> 11)) & 0xff;
    const header = new TextEncoder().encode(`*3\r\n$3\r\nSET\r\n$1\r\nv\r\n$${size}\r\n`);
    await conn.write(header);
    let at = 0;
    while (at < size) at += await conn.write(value.subarray(at));
    await conn.write(new TextEncoder().encode("\r\n"));
    assert.equal(new TextDecoder().decode(await readExactly(conn, 5)), "+OK\r\n");
    // Big and small replies mixed, one batch: the small ones must not overtake.
    const requests = ["GET v", "PING", "GET v", "ECHO x", "GET v"];
    await conn.write(new TextEncoder().encode(requests.join("\r\n") + "\r\n"));
    const bulkHeader = `$${size}\r\n`;
    for (const request of requests) {
      // Read slowly: the server's socket fills and its sends fall back to waiting.
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (request === "GET v") {
        const head = new TextDecoder().decode(await readExactly(conn, bulkHeader.length));
        assert.equal(head, bulkHeader);
        const body = await readExactly(conn, size + 2);
        assert.ok(
          body.subarray(0, size).every((b, i) => b === value[i]),
          "the value came back changed",
        );
        assert.equal(body[size], 13);
      } else {
        const expected = request === "PING" ? "+PONG\r\n" : "$1\r\nx\r\n";
        const got = new TextDecoder().decode(await readExactly(conn, expected.length));
        assert.equal(got, expected);
      }
    }
  } finally {
    conn.close();
    await server.stop();
  }
});
