// Redis's error replies, spelled exactly as Redis 7.0 spells them (without the leading "-").

import { cString } from "../util/latin1.ts";

export const ERR_SYNTAX = "ERR syntax error";
export const ERR_NOT_INTEGER = "ERR value is not an integer or out of range";
/** getIntFromObjectOrReply: an integer that does not fit in 32 bits. */
export const ERR_INT_RANGE =
  "ERR value is out of range, value must between -2147483648 and 2147483647";
export const ERR_NOT_FLOAT = "ERR value is not a valid float";
/** INCRBYFLOAT / HINCRBYFLOAT when the sum is NaN or infinite. */
export const ERR_INCR_NAN_OR_INF = "ERR increment would produce NaN or Infinity";
/** HINCRBYFLOAT when the increment itself is infinite. */
export const ERR_VALUE_NAN_OR_INF = "ERR value is NaN or Infinity";
/** HINCRBYFLOAT when the field holds something that is not a float. */
export const ERR_HASH_NOT_FLOAT = "ERR hash value is not a float";
export const ERR_OVERFLOW = "ERR increment or decrement would overflow";
/** HINCRBY when the field holds something that is not an integer. */
export const ERR_HASH_NOT_INTEGER = "ERR hash value is not an integer";
/** SCAN-family cursors that strtoul refuses. */
export const ERR_INVALID_CURSOR = "ERR invalid cursor";
/** HRANDFIELD WITHVALUES (and the like) with a count too large to double. */
export const ERR_OUT_OF_RANGE = "ERR value is out of range";
/** Bitmap commands: a bit offset that is not an integer, negative or past proto-max-bulk-len. */
export const ERR_BIT_OFFSET = "ERR bit offset is not an integer or out of range";
/** SETBIT with a value other than 0 or 1. */
export const ERR_BIT_VALUE = "ERR bit is not an integer or out of range";
/** BITPOS with a bit other than 0 or 1. */
export const ERR_BIT_ARGUMENT = "ERR The bit argument must be 1 or 0.";
export const ERR_BITOP_NOT = "ERR BITOP NOT must be called with a single source key.";
export const ERR_BITFIELD_TYPE =
  "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
export const ERR_BITFIELD_OVERFLOW = "ERR Invalid OVERFLOW type specified";
export const ERR_BITFIELD_RO = "ERR BITFIELD_RO only supports the GET subcommand";
export const ERR_WRONG_TYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const ERR_NO_SUCH_KEY = "ERR no such key";
export const ERR_DB_INDEX = "ERR DB index is out of range";
/** Blocking commands (BLPOP, BZPOPMIN, ...): a timeout strtold refuses. */
export const ERR_TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range";
/** Blocking commands and WAIT: a timeout below zero (or too large, converted as such). */
export const ERR_TIMEOUT_NEGATIVE = "ERR timeout is negative";
/** LSET at an index past either end of the list. */
export const ERR_INDEX_OUT_OF_RANGE = "ERR index out of range";
export const ERR_NOAUTH = "NOAUTH Authentication required.";
export const ERR_CLUSTER_DISABLED = "ERR This instance has cluster support disabled";
export const ERR_WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
export const ERR_AUTH_NOT_CONFIGURED =
  "ERR AUTH <password> called without any password configured for the default user. " +
  "Are you sure your configuration is correct?";
export const ERR_NOPROTO = "NOPROTO unsupported protocol version";
export const ERR_CLIENT_NAME =
  "ERR Client names cannot contain spaces, newlines or special characters.";
export const ERR_NO_SUCH_CLIENT = "ERR No such client";
export const ERR_MAX_CLIENTS = "ERR max number of clients reached";
/** Our own: an argument longer than V8's longest string (536,870,888 bytes) can't be held. */
export const ERR_ARGUMENT_TOO_LONG =
  "ERR argument too long: Redeno holds at most 536870888 bytes in one argument";
export const ERR_EXECABORT = "EXECABORT Transaction discarded because of previous errors.";
/** A `denyoom` command while used memory is over maxmemory and nothing can be evicted. */
/** Refused while a dataset loads (a full resync loaded as it arrives). */
export const ERR_LOADING = "LOADING Redis is loading the dataset in memory";
export const ERR_OOM = "OOM command not allowed when used memory > 'maxmemory'.";
export const ERR_INTERNAL = "ERR internal error while running the command";

/** `ERR wrong number of arguments for 'get' command` (name is the full lowercase name). */
export function errWrongArity(fullName: string): string {
  return `ERR wrong number of arguments for '${fullName}' command`;
}

/** `ERR value is out of range, value must between -5 and 5` (getRangeLongFromObjectOrReply). */
export function errValueRange(min: number | bigint, max: number | bigint): string {
  return `ERR value is out of range, value must between ${min} and ${max}`;
}

/** `ERR invalid expire time in 'set' command`. */
export function errInvalidExpire(command: string): string {
  return `ERR invalid expire time in '${command}' command`;
}

/** `ERR unknown subcommand 'foo'. Try CONFIG HELP.` */
export function errUnknownSubcommand(sub: string, container: string): string {
  return `ERR unknown subcommand '${
    cString(sub).slice(0, 128)
  }'. Try ${container.toUpperCase()} HELP.`;
}

/** `ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.` */
export function errSubcommandSyntax(sub: string, container: string): string {
  return `ERR unknown subcommand or wrong number of arguments for '${
    cString(sub).slice(0, 128)
  }'. Try ${container.toUpperCase()} HELP.`;
}

/**
 * A protected command (DEBUG, MODULE) its directive does not allow for this client:
 * `command` is "DEBUG" or "MODULE", `directive` the enable-... directive.
 */
export function errProtectedCommand(command: string, directive: string): string {
  return `ERR ${command} command not allowed. If the ${directive} option is set to "local", ` +
    "you can run it from a local connection, otherwise you need to set this option in the " +
    "configuration file, and then restart the server.";
}

/** SLOWLOG GET with a count that is not an integer of at least -1. */
export const ERR_SLOWLOG_COUNT = "ERR count should be greater than or equal to -1";

/** `ERR No samples available for event 'command'` (LATENCY GRAPH). */
export function errNoLatencySamples(event: string): string {
  return `ERR No samples available for event '${cString(event)}'`;
}

/** `ERR unknown command 'FOO', with args beginning with: 'a' 'b' ` (note the trailing space). */
export function errUnknownCommand(argv: readonly string[]): string {
  let args = "";
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${cString(argv[i]).slice(0, 128 - args.length)}' `;
  }
  return `ERR unknown command '${
    cString(argv[0]).slice(0, 128)
  }', with args beginning with: ${args}`;
}

/** Protocol errors: sent as `-ERR Protocol error: ...`, then the connection is closed. */
export const PROTO_INVALID_MULTIBULK = "invalid multibulk length";
export const PROTO_INVALID_BULK = "invalid bulk length";
export const PROTO_UNBALANCED_QUOTES = "unbalanced quotes in request";
export const PROTO_BIG_INLINE = "too big inline request";
export const PROTO_BIG_MBULK_COUNT = "too big mbulk count string";
export const PROTO_BIG_BULK_COUNT = "too big bulk count string";
export const PROTO_UNAUTH_MULTIBULK = "unauthenticated multibulk length";
export const PROTO_UNAUTH_BULK = "unauthenticated bulk length";

/** `expected '$', got 'X'` with the offending byte. */
export function protoExpectedDollar(byte: number): string {
  return `expected '$', got '${String.fromCharCode(byte)}'`;
}

/**
 * Protected mode's refusal of a client that is not on the loopback (written as it
 * connects, before it is closed). Redis's exact text, as it sends it.
 */
export const ERR_DENIED_PROTECTED_MODE =
  "DENIED Redis is running in protected mode because protected mode is enabled " +
  "and no password is set for the default user. In this mode connections are " +
  "only accepted from the loopback interface. If you want to connect from " +
  "external computers to Redis you may adopt one of the following solutions: 1) " +
  "Just disable protected mode sending the command 'CONFIG SET protected-mode " +
  "no' from the loopback interface by connecting to Redis from the same host " +
  "the server is running, however MAKE SURE Redis is not publicly accessible " +
  "from internet if you do so. Use CONFIG REWRITE to make this change " +
  "permanent. 2) Alternatively you can just disable the protected mode by " +
  "editing the Redis configuration file, and setting the protected mode option " +
  "to 'no', and then restarting the server. 3) If you started the server " +
  "manually just for testing, restart it with the '--protected-mode no' option. " +
  "4) Setup a an authentication password for the default user. NOTE: You only " +
  "need to do one of the above things in order for the server to start " +
  "accepting connections from the outside.";
