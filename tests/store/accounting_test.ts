// Unit tests of the keyspace's running memory total (src/store/accounting.ts): it
// must always equal what measuring every key afresh gives.

import assert from "node:assert/strict";
import { valueBytes } from "../../src/persistence/codecs/mod.ts";
import { HashValue } from "../../src/store/hash.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import { ListValue } from "../../src/store/list.ts";
import { stringBytes } from "../../src/store/memory.ts";

function keyspace(): Keyspace {
  const ks = new Keyspace(2);
  ks.meter = (value) => valueBytes(value);
  return ks;
}

// Keys and values measured one by one, as the total should have them.
function fresh(ks: Keyspace): number {
  let total = 0;
  for (const db of ks.databases) {
    if (db.size === 0) continue;
    for (const [key, value] of db.data) total += stringBytes(key.length) + valueBytes(value);
    total += db.mainTableBytes + db.expiresTableBytes;
  }
  return total;
}

Deno.test("storing, overwriting and deleting strings keeps the total exact", () => {
  const ks = keyspace();
  const db = ks.databases[0];
  assert.equal(ks.datasetBytes, 0);
  db.set("a", "x".repeat(100));
  db.set("b", new Uint8Array(300));
  assert.equal(ks.datasetBytes, fresh(ks));
  db.set("a", "short");
  assert.equal(ks.datasetBytes, fresh(ks));
  db.delete("b");
  db.delete("a");
  assert.equal(ks.datasetBytes, 0);
});

Deno.test("a collection changed in place is measured again once settled", () => {
  const ks = keyspace();
  const db = ks.databases[0];
  const hash = new HashValue();
  db.set("h", hash);
  ks.settle();
  const before = ks.datasetBytes;
  (db.get("h") as HashValue).fields.set("field", "v".repeat(1000));
  // Until the command that changed it is over, the total still has the old size.
  assert.equal(ks.datasetBytes, before);
  ks.settle();
  assert.ok(ks.datasetBytes > before + 1000);
  assert.equal(ks.datasetBytes, fresh(ks));
});

Deno.test("a collection filled right after it is stored is measured filled", () => {
  const ks = keyspace();
  const list = new ListValue();
  ks.databases[0].set("l", list);
  for (let i = 0; i < 50; i++) list.pushTail("element " + i);
  ks.settle();
  assert.equal(ks.datasetBytes, fresh(ks));
});

Deno.test("a read-only command's collections are forgotten, not measured", () => {
  const ks = keyspace();
  const db = ks.databases[0];
  db.set("h", new HashValue());
  ks.settle();
  db.get("h");
  assert.equal(ks.handedOut, true);
  ks.forgetHandedOut();
  assert.equal(ks.handedOut, false);
});

Deno.test("FLUSHDB, SWAPDB, MOVE and expiry keep the totals exact", () => {
  const ks = keyspace();
  const [db0, db1] = ks.databases;
  const hash = new HashValue();
  hash.fields.set("f", "v");
  db0.set("h", hash);
  db0.set("s", "string value");
  db1.set("t", "other");
  ks.settle();
  ks.swap(0, 1);
  assert.equal(ks.datasetBytes, fresh(ks));
  // A collection changed after the swap counts in the database that holds it now.
  (db1.get("h") as HashValue).fields.set("g", "x".repeat(500));
  ks.settle();
  assert.equal(ks.datasetBytes, fresh(ks));
  db0.put("h", db1.take("h")!);
  ks.settle();
  assert.equal(ks.datasetBytes, fresh(ks));
  db0.setExpire("t", Date.now() - 1);
  assert.equal(db0.get("t"), undefined);
  assert.equal(ks.datasetBytes, fresh(ks));
  // A value changed after its database was emptied counts nowhere.
  const gone = db0.get("h") as HashValue;
  db0.clear();
  gone.fields.set("late", "x".repeat(500));
  ks.settle();
  assert.equal(ks.datasetBytes, fresh(ks));
});
