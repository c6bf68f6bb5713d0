// Random differential test: seeded random sequences of commands of every data family,
// over a handful of keys so that types collide, replayed on real redis-server and on
// Redeno through the scenario harness; every reply must be byte-identical (or, where
// Redis's own order is its hash table's, the same collection).
//
// Only deterministic commands are drawn: no SPOP/SRANDMEMBER/RANDOMKEY, no relative
// TTLs (absolute expiry times instead), no SCAN cursors, no encodings or idle times.
//
// Environment: REDENO_RANDOM_SEEDS (default 4) sequences of REDENO_RANDOM_STEPS
// (default 1500) commands, from REDENO_RANDOM_FIRST_SEED (default 1). A failure prints
// the sequence up to the first difference as a scenario file's text, to replay it.

import assert from "node:assert/strict";
import { rng } from "../_random.ts";
import { skipWithout } from "../_server.ts";
import { type Compare, formatDifferences, runScenario, type Step } from "./harness.ts";

type Gen = () => { argv: string[]; compare?: Compare };

const env = (name: string, fallback: number) => Number(Deno.env.get(name) ?? fallback);
const SEEDS = env("REDENO_RANDOM_SEEDS", 4);
const STEPS = env("REDENO_RANDOM_STEPS", 1500);
const FIRST_SEED = env("REDENO_RANDOM_FIRST_SEED", 1);

/** The commands of one seeded sequence. */
function sequence(seed: number, steps: number): { argv: string[]; compare: Compare }[] {
  const random = rng(seed);
  const below = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[below(items.length)];
  const maybe = (p = 0.5) => random() < p;
  const some = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);

  const key = () => pick(["a", "b", "c", "d", "{t}x", "\xff\x00k"]);
  const member = () =>
    pick(["m1", "m2", "m3", "m4", "1", "2", "10", "-3", "x y", "", "\x00\xff", "ab", "b"]);
  const int = () =>
    pick([
      "0",
      "1",
      "-1",
      "2",
      "3",
      "7",
      "10",
      "-10",
      "100",
      "255",
      "9223372036854775807",
      "-9223372036854775808",
      "9223372036854775808",
      "1.0",
      "x",
      " 1",
      "010",
    ]);
  const small = () => pick(["0", "1", "2", "3", "-1", "-2", "5", "100", "-100"]);
  const float = () =>
    pick([
      "0",
      "1",
      "-1",
      "1.5",
      "-2.25",
      "0.1",
      "3e2",
      "inf",
      "-inf",
      "+inf",
      "1e400",
      "nan",
      "x",
    ]);
  // Not "1e400": Redis parses scores with strtod, whose ERANGE stays in errno, and a
  // later SORT in Redis then fails on any number (errno is not reset before strtod).
  const score = () =>
    maybe(0.8)
      ? pick(["0", "1", "2", "2.5", "-1", "10"])
      : pick(["1.5", "-2.25", "0.1", "3e2", "inf", "-inf", "+inf", "nan", "x"]);
  const short = ["v", "hello", "", "0", "12", "-5", "3.5", "abcdefghij", "\x00\x01\xff"];
  const value = () => maybe(0.9) ? pick(short) : "x".repeat(70);
  // Hash values stay under 64 bytes: Redis then keeps a hash in insertion order.
  const fieldValue = () => pick(short);
  const scoreBound = () =>
    pick(["-inf", "+inf", "0", "1", "(1", "2", "(2.5", "10", "-1", "x", "(x"]);
  const lexBound = () => pick(["-", "+", "[m1", "(m2", "[b", "(a", "[", "m1", "[\xff"]);
  let streamMs = 1;
  const streamId = () => {
    if (maybe(0.1)) return pick(["0-1", "1-0", "0-0", "5", "x", "18446744073709551615-0"]);
    streamMs += below(3);
    return maybe(0.5) ? `${streamMs}-${below(3)}` : `${streamMs}-*`;
  };
  const idBound = () => pick(["-", "+", "0", "1", "2-0", "(1-0", "3-1", "(5", "x"]);
  const unit = () => pick(["m", "km", "mi", "ft", "M", "x"]);
  const lon = () => pick(["13.361389", "15.087269", "-122.4", "0", "180", "181", "x"]);
  const lat = () => pick(["38.115556", "37.502669", "37.7", "0", "85.05112878", "86", "x"]);
  const bitOffset = () => pick(["0", "1", "7", "8", "15", "63", "100", "-1", "x"]);
  const bitType = () => pick(["u1", "i8", "u8", "i16", "u4", "i64", "u63", "u64", "x8"]);
  const byteRange = () => pick(["0", "1", "-1", "-3", "2", "10", "100", "-100"]);

  const families: [number, Gen][] = [
    // Strings
    [
      3,
      () => ({
        argv: [
          "SET",
          key(),
          value(),
          ...(maybe(0.3) ? [pick(["NX", "XX", "GET", "KEEPTTL"])] : []),
        ],
      }),
    ],
    [3, () => ({ argv: ["GET", key()] })],
    [1, () => ({ argv: ["GETRANGE", key(), byteRange(), byteRange()] })],
    [1, () => ({ argv: ["SETRANGE", key(), pick(["0", "1", "5", "-1", "x"]), value()] })],
    [1, () => ({ argv: ["APPEND", key(), value()] })],
    [2, () => ({ argv: [pick(["INCR", "DECR"]), key()] })],
    [2, () => ({ argv: [pick(["INCRBY", "DECRBY"]), key(), int()] })],
    [1, () => ({ argv: ["INCRBYFLOAT", key(), float()] })],
    [1, () => ({ argv: ["STRLEN", key()] })],
    [1, () => ({ argv: ["MSET", key(), value(), key(), value()] })],
    [1, () => ({ argv: ["MSETNX", key(), value(), key(), value()] })],
    [1, () => ({ argv: ["MGET", key(), key(), key()] })],
    [1, () => ({ argv: [pick(["GETDEL", "GETSET"]), key(), ...(maybe() ? [value()] : [])] })],
    [1, () => ({ argv: ["SETNX", key(), value()] })],
    [1, () => ({ argv: ["LCS", key(), key(), ...(maybe() ? [pick(["LEN", "IDX"])] : [])] })],
    // Keys
    [2, () => ({ argv: ["DEL", key(), ...(maybe() ? [key()] : [])] })],
    [1, () => ({ argv: ["EXISTS", key(), key()] })],
    [2, () => ({ argv: ["TYPE", key()] })],
    [1, () => ({ argv: [pick(["RENAME", "RENAMENX"]), key(), key()] })],
    [1, () => ({ argv: ["COPY", key(), key(), ...(maybe() ? ["REPLACE"] : [])] })],
    [1, () => ({
      argv: [
        pick(["EXPIREAT", "PEXPIREAT"]),
        key(),
        pick(["4000000000", "4000000001", "5000000000000", "-1", "x"]),
        ...(maybe(0.3) ? [pick(["NX", "XX", "GT", "LT"])] : []),
      ],
    })],
    [1, () => ({ argv: [pick(["EXPIRETIME", "PEXPIRETIME", "PERSIST"]), key()] })],
    [1, () => ({ argv: ["KEYS", pick(["*", "?", "[ab]", "*x*"])], compare: "sorted" })],
    [1, () => ({ argv: ["DBSIZE"] })],
    // Encodings too: the same conversions at the same sizes (a set's DUMP would follow
    // its hash table's order, so no DUMP).
    [1, () => ({ argv: ["OBJECT", "ENCODING", key()] })],
    // Lists
    [
      3,
      () => ({
        argv: [pick(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), key(), ...some(1 + below(3), member)],
      }),
    ],
    [2, () => ({ argv: [pick(["LPOP", "RPOP"]), key(), ...(maybe() ? [small()] : [])] })],
    [2, () => ({ argv: ["LRANGE", key(), small(), small()] })],
    [1, () => ({ argv: ["LINDEX", key(), small()] })],
    [1, () => ({ argv: ["LSET", key(), small(), member()] })],
    [1, () => ({ argv: ["LINSERT", key(), pick(["BEFORE", "AFTER", "x"]), member(), member()] })],
    [1, () => ({ argv: ["LREM", key(), small(), member()] })],
    [1, () => ({ argv: ["LTRIM", key(), small(), small()] })],
    [1, () => ({ argv: ["LLEN", key()] })],
    [1, () => ({
      argv: [
        "LPOS",
        key(),
        member(),
        ...(maybe() ? ["RANK", pick(["1", "-1", "2", "0"])] : []),
        ...(maybe() ? ["COUNT", pick(["0", "1", "2"])] : []),
        ...(maybe(0.3) ? ["MAXLEN", pick(["0", "1", "5"])] : []),
      ],
    })],
    [
      1,
      () => ({ argv: ["LMOVE", key(), key(), pick(["LEFT", "RIGHT"]), pick(["LEFT", "RIGHT"])] }),
    ],
    [1, () => ({ argv: ["RPOPLPUSH", key(), key()] })],
    [1, () => ({
      argv: [
        "LMPOP",
        "2",
        key(),
        key(),
        pick(["LEFT", "RIGHT"]),
        ...(maybe() ? ["COUNT", small()] : []),
      ],
    })],
    // Hashes (small: Redis keeps them in insertion order)
    [
      3,
      () => ({
        argv: [
          "HSET",
          key(),
          member(),
          fieldValue(),
          ...(maybe(0.3) ? [member(), fieldValue()] : []),
        ],
      }),
    ],
    [1, () => ({ argv: ["HSETNX", key(), member(), fieldValue()] })],
    [2, () => ({ argv: ["HGET", key(), member()] })],
    [1, () => ({ argv: ["HMGET", key(), member(), member()] })],
    [1, () => ({ argv: ["HDEL", key(), member(), ...(maybe() ? [member()] : [])] })],
    [1, () => ({ argv: [pick(["HLEN", "HGETALL", "HKEYS", "HVALS"]), key()] })],
    [1, () => ({ argv: ["HSTRLEN", key(), member()] })],
    [1, () => ({ argv: ["HINCRBY", key(), member(), int()] })],
    // Not 1e400: a 401-digit value would turn the hash into a hash table in Redis.
    [
      1,
      () => ({ argv: ["HINCRBYFLOAT", key(), member(), pick(["1", "-2.25", "0.1", "x", "inf"])] }),
    ],
    [1, () => ({ argv: ["HEXISTS", key(), member()] })],
    // Sets (member order is a hash table's in Redis 7.0 unless all are integers)
    [3, () => ({ argv: ["SADD", key(), ...some(1 + below(3), member)] })],
    [1, () => ({ argv: ["SREM", key(), member(), member()] })],
    [1, () => ({ argv: ["SISMEMBER", key(), member()] })],
    [1, () => ({ argv: ["SMISMEMBER", key(), member(), member()] })],
    [1, () => ({ argv: ["SCARD", key()] })],
    [1, () => ({ argv: ["SMEMBERS", key()], compare: "sorted" })],
    [1, () => ({ argv: [pick(["SINTER", "SUNION", "SDIFF"]), key(), key()], compare: "sorted" })],
    [
      1,
      () => ({ argv: [pick(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), key(), key(), key()] }),
    ],
    [
      1,
      () => ({ argv: ["SINTERCARD", "2", key(), key(), ...(maybe() ? ["LIMIT", small()] : [])] }),
    ],
    [1, () => ({ argv: ["SMOVE", key(), key(), member()] })],
    // Sorted sets
    [3, () => ({
      argv: [
        "ZADD",
        key(),
        ...(maybe(0.3) ? [pick(["NX", "XX", "GT", "LT", "CH", "INCR"])] : []),
        ...some(1 + below(2), () => [score(), member()]).flat(),
      ],
    })],
    [1, () => ({ argv: ["ZINCRBY", key(), score(), member()] })],
    [2, () => ({ argv: ["ZSCORE", key(), member()] })],
    [1, () => ({ argv: ["ZMSCORE", key(), member(), member()] })],
    [2, () => {
      // Lexicographic ranges only on `lex`, whose members all score 0: on mixed scores
      // Redis's answer depends on its skip list's random levels.
      const lex = maybe(0.3);
      return {
        argv: [
          "ZRANGE",
          lex ? "lex" : key(),
          ...(lex
            ? [lexBound(), lexBound(), "BYLEX"]
            : maybe()
            ? [small(), small()]
            : [scoreBound(), scoreBound(), "BYSCORE"]),
          ...(maybe(0.3) ? ["REV"] : []),
          ...(maybe(0.3) ? ["LIMIT", small(), small()] : []),
          ...(maybe(0.4) ? ["WITHSCORES"] : []),
        ],
      };
    }],
    [1, () => ({
      argv: [
        pick(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]),
        key(),
        scoreBound(),
        scoreBound(),
        ...(maybe(0.4) ? ["WITHSCORES"] : []),
      ],
    })],
    [
      1,
      () => ({
        argv: [pick(["ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZLEXCOUNT"]), "lex", lexBound(), lexBound()],
      }),
    ],
    [1, () => ({ argv: [pick(["ZRANK", "ZREVRANK"]), key(), member()] })],
    [1, () => ({ argv: ["ZREM", key(), member(), member()] })],
    [1, () => ({ argv: ["ZREMRANGEBYSCORE", key(), scoreBound(), scoreBound()] })],
    [1, () => ({ argv: ["ZREMRANGEBYRANK", key(), small(), small()] })],
    [1, () => ({ argv: ["ZREMRANGEBYLEX", "lex", lexBound(), lexBound()] })],
    [2, () => ({ argv: ["ZADD", "lex", "0", member(), ...(maybe() ? ["0", member()] : [])] })],
    [1, () => ({ argv: ["ZCOUNT", key(), scoreBound(), scoreBound()] })],
    [1, () => ({ argv: [pick(["ZPOPMIN", "ZPOPMAX"]), key(), ...(maybe() ? [small()] : [])] })],
    [1, () => ({
      argv: [
        pick(["ZUNIONSTORE", "ZINTERSTORE"]),
        key(),
        "2",
        key(),
        key(),
        ...(maybe(0.3) ? ["WEIGHTS", score(), score()] : []),
        ...(maybe(0.3) ? ["AGGREGATE", pick(["SUM", "MIN", "MAX", "X"])] : []),
      ],
    })],
    [1, () => ({
      argv: [
        pick(["ZUNION", "ZINTER", "ZDIFF"]),
        "2",
        key(),
        key(),
        ...(maybe() ? ["WITHSCORES"] : []),
      ],
    })],
    [1, () => ({ argv: ["ZDIFFSTORE", key(), "2", key(), key()] })],
    [1, () => ({ argv: ["ZRANGESTORE", key(), key(), small(), small()] })],
    [1, () => ({ argv: ["ZINTERCARD", "2", key(), key()] })],
    [1, () => ({ argv: ["ZCARD", key()] })],
    [1, () => ({
      argv: [
        "ZMPOP",
        "2",
        key(),
        key(),
        pick(["MIN", "MAX"]),
        ...(maybe() ? ["COUNT", small()] : []),
      ],
    })],
    // Now and then enough elements to cross an encoding's size limit.
    [
      0.3,
      () => ({
        argv: ["RPUSH", key(), ...some(150, () => maybe(0.9) ? member() : "y".repeat(100))],
      }),
    ],
    [0.3, () => ({
      argv: ["ZADD", key(), ...some(140, () => [String(below(50) / 2), `z${below(400)}`]).flat()],
    })],
    [0.3, () => ({ argv: ["SADD", key(), ...some(600, () => String(below(2000)))] })],
    // Blocking forms with a short timeout: served at once, or a null after 10 ms.
    [0.5, () => ({ argv: [pick(["BLPOP", "BRPOP"]), key(), key(), "0.01"] })],
    [
      0.3,
      () => ({
        argv: ["BLMOVE", key(), key(), pick(["LEFT", "RIGHT"]), pick(["LEFT", "RIGHT"]), "0.01"],
      }),
    ],
    [0.3, () => ({ argv: [pick(["BZPOPMIN", "BZPOPMAX"]), key(), key(), "0.01"] })],
    [0.3, () => ({
      argv: [
        "BLMPOP",
        "0.01",
        "2",
        key(),
        key(),
        pick(["LEFT", "RIGHT"]),
        ...(maybe() ? ["COUNT", small()] : []),
      ],
    })],
    [0.3, () => ({ argv: ["BZMPOP", "0.01", "1", key(), pick(["MIN", "MAX"])] })],
    [
      0.3,
      () => ({
        argv: ["XREAD", "COUNT", "2", "BLOCK", "10", "STREAMS", key(), pick(["0", "$", "1-0"])],
      }),
    ],
    [0.3, () => ({
      argv: [
        "XREADGROUP",
        "GROUP",
        pick(["g", "h"]),
        "c1",
        "BLOCK",
        "10",
        "STREAMS",
        key(),
        pick([">", "0"]),
      ],
    })],
    // Other databases
    [0.5, () => ({ argv: ["SELECT", pick(["0", "0", "1", "2", "16", "x"])] })],
    [0.3, () => ({ argv: ["MOVE", key(), pick(["0", "1", "2", "16"])] })],
    [0.2, () => ({ argv: ["SWAPDB", pick(["0", "1", "2"]), pick(["0", "1", "2", "x"])] })],
    [
      0.3,
      () => ({
        argv: ["COPY", key(), key(), "DB", pick(["0", "1", "2"]), ...(maybe() ? ["REPLACE"] : [])],
      }),
    ],
    [0.2, () => ({ argv: [pick(["FLUSHDB", "DBSIZE"])] })],
    // Bitmaps
    [2, () => ({ argv: ["SETBIT", key(), bitOffset(), pick(["0", "1", "2"])] })],
    [1, () => ({ argv: ["GETBIT", key(), bitOffset()] })],
    [1, () => ({
      argv: [
        "BITCOUNT",
        key(),
        ...(maybe() ? [byteRange(), byteRange(), ...(maybe() ? [pick(["BYTE", "BIT"])] : [])] : []),
      ],
    })],
    [1, () => ({
      argv: [
        "BITPOS",
        key(),
        pick(["0", "1"]),
        ...(maybe()
          ? [
            byteRange(),
            ...(maybe() ? [byteRange(), ...(maybe() ? [pick(["BYTE", "BIT"])] : [])] : []),
          ]
          : []),
      ],
    })],
    [1, () => ({
      argv: ["BITOP", pick(["AND", "OR", "XOR", "NOT"]), key(), key(), ...(maybe() ? [key()] : [])],
    })],
    [1, () => ({
      argv: [
        "BITFIELD",
        key(),
        ...(maybe(0.3) ? ["OVERFLOW", pick(["WRAP", "SAT", "FAIL"])] : []),
        ...pick([
          () => ["GET", bitType(), bitOffset()],
          () => ["SET", bitType(), pick(["#1", bitOffset()]), int()],
          () => ["INCRBY", bitType(), bitOffset(), int()],
        ])(),
      ],
    })],
    // HyperLogLog
    [1, () => ({ argv: ["PFADD", key(), ...some(below(4), member)] })],
    [1, () => ({ argv: ["PFCOUNT", key(), ...(maybe(0.3) ? [key()] : [])] })],
    [1, () => ({ argv: ["PFMERGE", key(), key()] })],
    // Geo
    [
      1,
      () => ({
        argv: [
          "GEOADD",
          key(),
          ...(maybe(0.2) ? [pick(["NX", "XX", "CH"])] : []),
          lon(),
          lat(),
          member(),
        ],
      }),
    ],
    [1, () => ({ argv: ["GEODIST", key(), member(), member(), ...(maybe() ? [unit()] : [])] })],
    [1, () => ({ argv: [pick(["GEOPOS", "GEOHASH"]), key(), member(), member()] })],
    [1, () => ({
      argv: [
        "GEOSEARCH",
        key(),
        ...(maybe() ? ["FROMMEMBER", member()] : ["FROMLONLAT", lon(), lat()]),
        ...(maybe()
          ? ["BYRADIUS", pick(["100", "1000", "0"]), unit()]
          : ["BYBOX", "400", "400", "km"]),
        pick(["ASC", "DESC"]),
        ...(maybe() ? ["COUNT", pick(["1", "2", "0"])] : []),
        ...(maybe() ? ["WITHDIST"] : []),
        ...(maybe() ? ["WITHCOORD"] : []),
        ...(maybe() ? ["WITHHASH"] : []),
      ],
    })],
    // Streams (explicit IDs only)
    [2, () => ({
      argv: [
        "XADD",
        key(),
        ...(maybe(0.2) ? ["MAXLEN", pick(["=", "~"]), pick(["0", "1", "3"])] : []),
        streamId(),
        member(),
        value(),
      ],
    })],
    [1, () => ({
      argv: [
        pick(["XRANGE", "XREVRANGE"]),
        key(),
        idBound(),
        idBound(),
        ...(maybe() ? ["COUNT", small()] : []),
      ],
    })],
    [1, () => ({ argv: ["XLEN", key()] })],
    [1, () => ({ argv: ["XDEL", key(), idBound()] })],
    [
      1,
      () => ({ argv: ["XTRIM", key(), pick(["MAXLEN", "MINID"]), pick(["0", "1", "2-0", "3"])] }),
    ],
    [
      1,
      () => ({
        argv: [
          "XGROUP",
          "CREATE",
          key(),
          pick(["g", "h"]),
          pick(["0", "$", "1-0"]),
          ...(maybe() ? ["MKSTREAM"] : []),
        ],
      }),
    ],
    [1, () => ({
      argv: [
        "XREADGROUP",
        "GROUP",
        pick(["g", "h"]),
        pick(["c1", "c2"]),
        "COUNT",
        pick(["1", "2"]),
        "STREAMS",
        key(),
        pick([">", "0"]),
      ],
    })],
    [1, () => ({ argv: ["XACK", key(), pick(["g", "h"]), idBound()] })],
    [1, () => ({ argv: ["XPENDING", key(), pick(["g", "h"])] })],
    [1, () => ({ argv: ["XSETID", key(), pick(["5-0", "100-0", "0-1"])] })],
    [1, () => ({
      argv: [
        "XCLAIM",
        key(),
        pick(["g", "h"]),
        pick(["c1", "c2"]),
        "0",
        idBound(),
        ...(maybe() ? ["JUSTID"] : []),
      ],
    })],
    [1, () => ({
      argv: [
        "XAUTOCLAIM",
        key(),
        pick(["g", "h"]),
        pick(["c1", "c2"]),
        "0",
        pick(["0", "0-0", "2-0", "x"]),
        ...(maybe() ? ["COUNT", pick(["1", "2", "0"])] : []),
        ...(maybe(0.3) ? ["JUSTID"] : []),
      ],
    })],
    [1, () => ({ argv: ["XINFO", "GROUPS", key()] })],
    [1, () => ({
      argv: [
        "XGROUP",
        pick(["CREATECONSUMER", "DELCONSUMER"]),
        key(),
        pick(["g", "h"]),
        pick(["c1", "c2", "c3"]),
      ],
    })],
    [1, () => ({ argv: ["XGROUP", "DESTROY", key(), pick(["g", "h"])] })],
    // More generic and string forms
    [1, () => ({ argv: [pick(["UNLINK", "TOUCH"]), key(), key()] })],
    [1, () => ({
      argv: [
        "GETEX",
        key(),
        ...pick([[], ["PERSIST"], ["EXAT", "4000000000"], ["PXAT", "4000000000123"], ["EX", "x"]]),
      ],
    })],
    [1, () => ({
      argv: [
        "SET",
        key(),
        value(),
        ...pick([["EXAT", "4000000000"], ["PXAT", "4000000000123"], ["KEEPTTL", "GET"]]),
      ],
    })],
    // Geo, the older forms and storing
    [1, () => ({
      argv: [
        "GEOSEARCHSTORE",
        key(),
        key(),
        "FROMLONLAT",
        lon(),
        lat(),
        "BYRADIUS",
        pick(["200", "1000"]),
        "km",
        ...(maybe() ? ["COUNT", pick(["1", "2"])] : []),
        ...(maybe() ? ["STOREDIST"] : []),
      ],
    })],
    [1, () => ({
      argv: [
        pick(["GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"]),
        key(),
        member(),
        pick(["100", "1000"]),
        unit(),
        ...(maybe() ? ["WITHDIST"] : []),
        pick(["ASC", "DESC"]),
      ],
    })],
    // WATCH inside the same connection: a change by this client also aborts EXEC.
    [1, () => ({ argv: maybe(0.7) ? ["WATCH", key()] : ["UNWATCH"] })],
    // Scripts that reach the keys
    [1, () => ({
      argv: [
        "EVAL",
        pick([
          "return redis.call('get', KEYS[1])",
          "return redis.pcall('incr', KEYS[1])",
          "return redis.call('lrange', KEYS[1], 0, -1)",
          "return {redis.call('type', KEYS[1]), redis.call('exists', KEYS[1])}",
          "return redis.call('zrange', KEYS[1], 0, -1, 'withscores')",
          "return tostring(redis.call('hlen', KEYS[1]))",
          "redis.call('set', KEYS[1], ARGV[1]); return redis.call('strlen', KEYS[1])",
        ]),
        "1",
        key(),
        value(),
      ],
    })],
    // SORT
    [1, () => {
      const alpha = maybe(0.4);
      const store = maybe(0.2) ? ["STORE", key()] : [];
      // ALPHA without STORE compares like strcoll: "" and "\x00\xff" tie, and ties keep
      // a set's order, which is its hash table's in Redis. Then: no LIMIT, any order.
      const unordered = alpha && store.length === 0;
      return {
        argv: [
          "SORT",
          key(),
          ...(alpha ? ["ALPHA"] : []),
          ...(maybe(0.3) ? ["DESC"] : []),
          ...(!unordered && maybe(0.3) ? ["LIMIT", small(), small()] : []),
          ...store,
        ],
        compare: unordered ? "sorted" : "bytes",
      };
    }],
  ];
  const total = families.reduce((sum, [weight]) => sum + weight, 0);
  const draw = (): { argv: string[]; compare: Compare } => {
    let at = random() * total;
    for (const [weight, gen] of families) {
      at -= weight;
      if (at < 0) {
        const { argv, compare } = gen();
        return { argv, compare: compare ?? "bytes" };
      }
    }
    return { argv: ["PING"], compare: "bytes" };
  };
  const out: { argv: string[]; compare: Compare }[] = [];
  while (out.length < steps) {
    // Now and then a transaction of a few of them, or a fresh start.
    if (maybe(0.01)) out.push({ argv: ["FLUSHALL"], compare: "bytes" });
    if (maybe(0.02)) {
      // EXEC's reply is compared whole: only commands with one right order inside.
      out.push({ argv: ["MULTI"], compare: "bytes" });
      for (let n = below(4); n > 0;) {
        const next = draw();
        if (next.compare === "bytes") {
          out.push(next);
          n--;
        }
      }
      out.push({ argv: [maybe(0.9) ? "EXEC" : "DISCARD"], compare: "bytes" });
    } else out.push(draw());
  }
  return out;
}

// A scenario line for a command (arguments quoted with escapes, as the harness reads).
function scenarioLine(argv: string[], compare: Compare): string {
  const quote = (arg: string) =>
    '"' + [...arg].map((ch) => {
      const c = ch.charCodeAt(0);
      if (ch === '"' || ch === "\\") return "\\" + ch;
      return c < 0x20 || c > 0x7e ? "\\x" + c.toString(16).padStart(2, "0") : ch;
    }).join("") + '"';
  return (compare === "sorted" ? "@sort " : "") + argv.map(quote).join(" ");
}

for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
  // Every other sequence speaks RESP3 (maps, sets, doubles, nulls of their own).
  const resp3 = seed % 2 === 0;
  const name = `random commands of every family (seed ${seed}${resp3 ? ", RESP3" : ""})`;
  Deno.test(`${name} get Redis's replies`, async () => {
    if (skipWithout("redis-server")) return;
    const commands = sequence(seed, STEPS);
    const steps: Step[] = commands.map(({ argv, compare }, i) => ({
      kind: "command",
      line: i + 1,
      client: 1,
      argv,
      compare,
    }));
    if (resp3) steps.unshift({ kind: "hello", line: 0, client: 1, version: 3 });
    const result = await runScenario({ name: `random-${seed}`, args: [], aof: false, steps }, {
      maxDifferences: 1,
    });
    if (result.differences.length > 0) {
      const upTo = result.differences[0].line;
      const lines = commands.slice(0, upTo).map((c) => scenarioLine(c.argv, c.compare));
      if (resp3) lines.unshift("@resp3");
      console.log(
        `--- seed ${seed}: the sequence up to the first difference ---\n${lines.join("\n")}\n---`,
      );
    }
    assert.equal(
      result.differences.length,
      0,
      formatDifferences(`seed ${seed}`, result.differences),
    );
    assert.equal(result.compared, steps.length + 1);
  });
}
