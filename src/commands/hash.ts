// Hash commands: HSET, HGET, HGETALL.

import { ERR_WRONG_TYPE, errWrongArity } from "../protocol/errors.ts";
import { type HashLimits, HashValue } from "../store/hash.ts";
import type { CommandSpec, Session } from "./context.ts";

// The hash at a key; null (after replying WRONGTYPE) when the key holds another type.
function hashOrError(s: Session, key: string): HashValue | undefined | null {
  const value = s.db.get(key);
  if (value === undefined || value instanceof HashValue) return value;
  s.reply.error(ERR_WRONG_TYPE);
  return null;
}

function limits(s: Session): HashLimits {
  return {
    maxListpackEntries: s.server.config.number("hash-max-listpack-entries"),
    maxListpackValue: s.server.config.number("hash-max-listpack-value"),
  };
}

/** HSET key field value [field value ...] */
function hset(s: Session, argv: string[]): void {
  if (argv.length % 2 !== 0) {
    s.reply.error(errWrongArity("hset"));
    return;
  }
  let hash = hashOrError(s, argv[1]);
  if (hash === null) return;
  if (hash === undefined) {
    hash = new HashValue();
    s.db.set(argv[1], hash);
  }
  const lim = limits(s);
  let added = 0;
  for (let i = 2; i < argv.length; i += 2) {
    if (hash.set(argv[i], argv[i + 1], lim)) added++;
  }
  s.server.dirty += (argv.length - 2) / 2;
  s.server.propagate(s.db.id, argv);
  s.reply.integer(added);
}

/** HGET key field */
function hget(s: Session, argv: string[]): void {
  const hash = hashOrError(s, argv[1]);
  if (hash === null) return;
  const value = hash?.get(argv[2]);
  if (value === undefined) s.reply.null();
  else s.reply.bulk(value);
}

/** HGETALL key: a map in RESP3, a flat array in RESP2. */
function hgetall(s: Session, argv: string[]): void {
  const hash = hashOrError(s, argv[1]);
  if (hash === null) return;
  if (hash === undefined) {
    s.reply.mapLen(0);
    return;
  }
  s.reply.mapLen(hash.size);
  for (const [field, value] of hash.fields) {
    s.reply.bulk(field);
    s.reply.bulk(value);
  }
}

/** The hash commands. */
export const hashCommands: CommandSpec[] = [
  {
    name: "hset",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    categories: ["hash"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "hash",
    summary: "Sets one or more fields of a hash; answers how many fields were new.",
    since: "2.0.0",
    complexity: "O(1) per field",
    args: [
      { name: "key", type: "key", keySpecIndex: 0 },
      {
        name: "data",
        type: "block",
        multiple: true,
        arguments: [{ name: "field", type: "string" }, { name: "value", type: "string" }],
      },
    ],
    handler: hset,
  },
  {
    name: "hget",
    arity: 3,
    flags: ["readonly", "fast"],
    categories: ["hash"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "hash",
    summary: "Answers the value of one field of a hash, or nil.",
    since: "2.0.0",
    complexity: "O(1)",
    args: [{ name: "key", type: "key", keySpecIndex: 0 }, { name: "field", type: "string" }],
    handler: hget,
  },
  {
    name: "hgetall",
    arity: 2,
    flags: ["readonly"],
    categories: ["hash", "slow"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "hash",
    summary: "Answers every field and value of a hash.",
    since: "2.0.0",
    complexity: "O(N) in the size of the hash",
    args: [{ name: "key", type: "key", keySpecIndex: 0 }],
    handler: hgetall,
  },
];
