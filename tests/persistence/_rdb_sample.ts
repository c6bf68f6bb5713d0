// A small RDB file holding every value type and encoding the writer produces, for the
// tests of reading files whole, cut short, damaged, or arriving in pieces.

import { saveSnapshotSync } from "../../src/persistence/snapshot.ts";
import { HashValue } from "../../src/store/hash.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import { ListValue } from "../../src/store/list.ts";
import { SetValue } from "../../src/store/set.ts";
import { SortedSetValue } from "../../src/store/zset.ts";

const LIMITS = { maxListpackEntries: 128, maxListpackValue: 64 };

/** The sample file (12 keys: 11 in database 0, one in database 2). */
export function sampleFile(): Uint8Array {
  const ks = new Keyspace(16);
  const db = ks.databases[0];
  db.set("s", "hello");
  db.set("n", "-12345");
  db.set("lzf", "abc".repeat(30));
  db.set("ttl", "x");
  db.setExpire("ttl", Date.now() + 1e9);
  const h = new HashValue();
  h.set("f", "v", LIMITS);
  h.set("g", "100", LIMITS);
  db.set("h", h);
  const big = new HashValue();
  big.hashtable = true;
  big.set("a", "1", LIMITS);
  db.set("ht", big);
  const si = new SetValue();
  si.add("1", 512);
  si.add("70000", 512);
  db.set("si", si);
  const ss = new SetValue();
  ss.add("x", 512);
  db.set("ss", ss);
  db.set("l", ListValue.from(["a", "1", "b".repeat(30)]));
  db.set("z", SortedSetValue.fromEntries([["a", 1], ["b", 2.5]], LIMITS));
  db.set("zs", SortedSetValue.fromEntries([["x".repeat(100), 1]], LIMITS));
  ks.databases[2].set("other", "db 2");
  return rdbFileOf(ks);
}

/** The RDB file a keyspace saves to. */
export function rdbFileOf(keyspace: Keyspace): Uint8Array {
  const dir = Deno.makeTempDirSync();
  try {
    saveSnapshotSync(keyspace, `${dir}/dump.rdb`, { fsync: false });
    return Deno.readFileSync(`${dir}/dump.rdb`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}
