// Every single-byte change of DUMP payloads of each type, with the checksum made
// right again so that the value's parser itself meets the damage: RESTORE answers OK
// or Redis's "Bad data format", never an internal error, and whatever it accepted can
// then be read, written and dumped without one.

import assert from "node:assert/strict";
import { latin1Text } from "../../src/persistence/aof_manifest.ts";
import { crc64 } from "../../src/persistence/crc64.ts";
import { ERR_INTERNAL } from "../../src/protocol/errors.ts";
import { type InProcessServer, startInProcess } from "../_inprocess.ts";
import { bytes } from "../_server.ts";

// The bulk string of a raw `$n\r\n...\r\n` reply.
function bulkOf(reply: string): string {
  const start = reply.indexOf("\r\n") + 2;
  return reply.slice(start, reply.length - 2);
}

// A payload with its value bytes changed: the RDB version kept, the CRC64 redone.
function withChecksum(body: Uint8Array, version: Uint8Array): string {
  const out = new Uint8Array(body.length + 10);
  out.set(body);
  out.set(version, body.length);
  const crc = crc64(out.subarray(0, body.length + 2));
  for (let i = 0; i < 8; i++) out[body.length + 2 + i] = Number((crc >> BigInt(8 * i)) & 0xffn);
  return latin1Text(out);
}

// Commands that read and change a value of each type.
const TOUCH: Record<string, string[][]> = {
  string: [["GET", "t"], ["STRLEN", "t"], ["APPEND", "t", "x"], ["PFCOUNT", "t"]],
  list: [["LRANGE", "t", "0", "-1"], ["LPOP", "t"], ["RPUSH", "t", "y"], ["LINDEX", "t", "1"]],
  hash: [["HGETALL", "t"], ["HSET", "t", "nf", "nv"], ["HDEL", "t", "f1"]],
  set: [["SMEMBERS", "t"], ["SADD", "t", "9"], ["SPOP", "t"]],
  zset: [["ZRANGE", "t", "0", "-1", "WITHSCORES"], ["ZADD", "t", "3", "c"], ["ZREM", "t", "a"]],
  stream: [["XRANGE", "t", "-", "+"], ["XINFO", "STREAM", "t", "FULL"], [
    "XADD",
    "t",
    "*",
    "a",
    "b",
  ]],
};

Deno.test("every single-byte change of a DUMP payload is restored or refused cleanly", async () => {
  const srv: InProcessServer = await startInProcess();
  const internal = `-${ERR_INTERNAL}\r\n`;
  try {
    const setup = [
      ["SET", "s", "hello world"],
      ["SET", "n", "12345"],
      ["RPUSH", "l", "a", "b", "c", "1", "2"],
      ["HSET", "h", "f1", "v1", "f2", "2"],
      ["SADD", "si", "1", "2", "3"],
      ["SADD", "ss", "a", "b", "c"],
      ["ZADD", "z", "1", "a", "2.5", "b"],
      ["XADD", "x", "1-1", "f", "v"],
      ["XADD", "x", "2-1", "f", "w", "g", "1"],
      ["XGROUP", "CREATE", "x", "g", "0"],
      ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "x", ">"],
      ["PFADD", "p", "a", "b", "c"],
    ];
    for (const argv of setup) await srv.call(...argv);
    let restored = 0;
    let refused = 0;
    for (const key of ["s", "n", "l", "h", "si", "ss", "z", "x", "p"]) {
      const payload = bytes(bulkOf(await srv.call("DUMP", key)));
      const body = payload.subarray(0, payload.length - 10);
      const version = payload.subarray(payload.length - 10, payload.length - 8);
      for (let at = 0; at < body.length; at++) {
        for (const delta of [1, 0x80, 0xff]) {
          const damaged = body.slice();
          damaged[at] = (damaged[at] + delta) & 0xff;
          const reply = await srv.call(
            "RESTORE",
            "t",
            "0",
            withChecksum(damaged, version),
            "REPLACE",
          );
          if (reply !== "+OK\r\n") {
            assert.equal(reply, "-ERR Bad data format\r\n", `${key} byte ${at} +${delta}`);
            refused++;
            continue;
          }
          restored++;
          const type = (await srv.call("TYPE", "t")).slice(1, -2);
          for (const argv of [...TOUCH[type] ?? [], ["DUMP", "t"], ["OBJECT", "ENCODING", "t"]]) {
            const answer = await srv.call(...argv);
            assert.notEqual(answer, internal, `${key} byte ${at} +${delta}: ${argv.join(" ")}`);
          }
        }
      }
    }
    assert.ok(restored > 0 && refused > 0, `${restored} restored, ${refused} refused`);
    assert.equal(await srv.call("PING"), "+PONG\r\n");
  } finally {
    await srv.stop();
  }
});
