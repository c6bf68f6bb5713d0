// One ACL selector: which commands (by id, plus allowed first arguments), which keys
// (glob patterns with read/write permissions) and which pub/sub channels a user may
// use. A user has a root selector and any number of extra ones ("(...)" rules); a
// command is allowed when one selector allows all of it.

import { globMatch } from "../util/glob.ts";
import { ACL_CATEGORIES, type AclCatalog, type AclCommand, categoryBit } from "./catalog.ts";

/** Why a selector refused a call; the order is Redis's (the worst one is reported). */
export const DENIED_COMMAND = 1;
export const DENIED_KEY = 2;
export const DENIED_AUTH = 3;
export const DENIED_CHANNEL = 4;

/** A refusal: its reason and the argument it is about (the key or channel). */
export interface Denial {
  reason: number;
  index: number;
}

/** Key permissions of a pattern, and what a key argument needs. */
export const READ = 1;
export const WRITE = 2;
const READ_WRITE = READ | WRITE;

/** A key argument of a call: its position and its key-spec flags (access, update ...). */
export interface KeyArg {
  index: number;
  flags: readonly string[];
}

/** A channel argument of a call; a pattern (PSUBSCRIBE) must be allowed literally. */
export interface ChannelArg {
  index: number;
  pattern: boolean;
}

/** The arguments of one call that rules can refuse: found only when needed. */
export interface CallArgs {
  readonly argv: readonly string[];
  keys(): readonly KeyArg[];
  channels(): readonly ChannelArg[];
}

interface KeyPattern {
  pattern: string;
  perms: number;
}

// Reasons SETUSER gives for a rule it cannot apply (after "Error in ACL SETUSER modifier").
export const ERR_SYNTAX = "Syntax error";
export const ERR_UNKNOWN_NAME = "Unknown command or category name in ACL";
export const ERR_FIRST_ARG_OF_SUBCOMMAND = "Allowing first-arg of a subcommand is not supported";
export const ERR_KEYS_AFTER_ALL =
  "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
export const ERR_CHANNELS_AFTER_ALL =
  "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";

export class Selector {
  readonly #catalog: AclCatalog;
  /** One byte per command id: 1 when allowed. */
  allowed: Uint8Array;
  /** Set by +@all: commands added later would be allowed too (shown as "+@all"). */
  future = false;
  /** First arguments allowed for a command whose bit is off (+select|0), by id. */
  firstArgs: Map<number, string[]> | null = null;
  keys: KeyPattern[] = [];
  allKeys = false;
  channels: string[] = [];
  allChannels = false;

  constructor(catalog: AclCatalog) {
    this.#catalog = catalog;
    this.allowed = new Uint8Array(catalog.size);
  }

  clone(): Selector {
    const copy = new Selector(this.#catalog);
    copy.copyFrom(this);
    return copy;
  }

  copyFrom(other: Selector): void {
    this.allowed = other.allowed.slice();
    this.future = other.future;
    this.firstArgs = other.firstArgs === null
      ? null
      : new Map([...other.firstArgs].map(([id, args]) => [id, [...args]]));
    this.keys = other.keys.map((k) => ({ ...k }));
    this.allKeys = other.allKeys;
    this.channels = [...other.channels];
    this.allChannels = other.allChannels;
  }

  /** True when it allows every command, key and channel, now and later. */
  get unrestricted(): boolean {
    if (!this.future || !this.allKeys || !this.allChannels) return false;
    return this.allowed.every((bit) => bit === 1);
  }

  /** Applies one rule; returns null, or why it cannot be applied. */
  apply(op: string): string | null {
    const lower = op.toLowerCase();
    switch (lower) {
      case "allkeys":
      case "~*":
        this.allKeys = true;
        this.keys = [];
        return null;
      case "resetkeys":
        this.allKeys = false;
        this.keys = [];
        return null;
      case "allchannels":
      case "&*":
        this.allChannels = true;
        this.channels = [];
        return null;
      case "resetchannels":
        this.allChannels = false;
        this.channels = [];
        return null;
      case "allcommands":
      case "+@all":
        this.allowed.fill(1);
        this.future = true;
        this.firstArgs = null;
        return null;
      case "nocommands":
      case "-@all":
        this.allowed.fill(0);
        this.future = false;
        this.firstArgs = null;
        return null;
    }
    const first = op[0];
    if (first === "~" || first === "%") return this.#addKeyPattern(op);
    if (first === "&") {
      if (this.allChannels) return ERR_CHANNELS_AFTER_ALL;
      const pattern = op.slice(1);
      if (!this.channels.includes(pattern)) this.channels.push(pattern);
      return null;
    }
    if ((first === "+" || first === "-") && op[1] === "@") {
      const bit = categoryBit(op.slice(2));
      if (bit === 0) return ERR_UNKNOWN_NAME;
      setCategory(this.#catalog, this.allowed, bit, first === "+" ? 1 : 0, this);
      return null;
    }
    if (first === "+" || first === "-") return this.#commandRule(lower.slice(1), first === "+");
    return ERR_SYNTAX;
  }

  #addKeyPattern(op: string): string | null {
    if (this.allKeys) return ERR_KEYS_AFTER_ALL;
    let perms = READ_WRITE;
    let at = 1;
    if (op[0] === "%") {
      // %R~, %W~ or %RW~ (any order, any case), then the pattern (which may be empty).
      perms = 0;
      let tilde = false;
      for (; at < op.length && !tilde; at++) {
        const c = op[at].toUpperCase();
        if (c === "R" && (perms & READ) === 0) perms |= READ;
        else if (c === "W" && (perms & WRITE) === 0) perms |= WRITE;
        else if (c === "~") tilde = true;
        else return ERR_SYNTAX;
      }
      if (perms === 0) return ERR_SYNTAX;
    }
    const pattern = op.slice(at);
    if (perms === READ_WRITE && pattern === "*") {
      this.allKeys = true;
      this.keys = [];
      return null;
    }
    const existing = this.keys.find((k) => k.pattern === pattern);
    if (existing !== undefined) existing.perms |= perms;
    else this.keys.push({ pattern, perms });
    return null;
  }

  // +name / -name, +name|sub / -name|sub, and +name|first-arg for a command without
  // subcommands.
  #commandRule(name: string, allow: boolean): string | null {
    const bar = name.lastIndexOf("|");
    if (bar < 0) {
      const command = this.#catalog.lookup(name);
      if (command === undefined) return ERR_UNKNOWN_NAME;
      changePerm(this.allowed, command, allow ? 1 : 0, this);
      return null;
    }
    if (!allow) {
      const sub = this.#catalog.lookup(name);
      if (sub === undefined) return ERR_UNKNOWN_NAME;
      changePerm(this.allowed, sub, 0, this);
      return null;
    }
    const command = this.#catalog.lookup(name.slice(0, bar));
    if (command === undefined) return ERR_UNKNOWN_NAME;
    if (command.parent !== null) return ERR_FIRST_ARG_OF_SUBCOMMAND;
    const arg = name.slice(bar + 1);
    if (arg === "") return ERR_SYNTAX;
    if (command.children !== null) {
      const sub = this.#catalog.lookup(name);
      if (sub === undefined) return ERR_UNKNOWN_NAME;
      changePerm(this.allowed, sub, 1, this);
      return null;
    }
    // Allowing one first argument of an otherwise refused command (SELECT 0).
    const map = this.firstArgs ??= new Map();
    const args = map.get(command.id) ?? [];
    if (!args.includes(arg)) args.push(arg);
    map.set(command.id, args);
    return null;
  }

  /** Whether this selector allows the call: null, or the refusal. */
  check(command: AclCommand, call: CallArgs): Denial | null {
    if (this.allowed[command.id] !== 1 && !command.noAuth) {
      const args = this.firstArgs?.get(command.id);
      const firstArg = call.argv[1];
      if (
        args === undefined || firstArg === undefined ||
        !args.some((arg) => arg.toLowerCase() === firstArg.toLowerCase())
      ) {
        return { reason: DENIED_COMMAND, index: 0 };
      }
    }
    if (!this.allKeys) {
      for (const key of call.keys()) {
        if (!this.allowsKey(call.argv[key.index], permsNeeded(key.flags))) {
          return { reason: DENIED_KEY, index: key.index };
        }
      }
    }
    if (!this.allChannels) {
      for (const channel of call.channels()) {
        if (!this.allowsChannel(call.argv[channel.index], channel.pattern)) {
          return { reason: DENIED_CHANNEL, index: channel.index };
        }
      }
    }
    return null;
  }

  /** Whether a key may be used with the given permissions (READ, WRITE). */
  allowsKey(key: string, perms: number): boolean {
    if (this.allKeys) return true;
    for (const k of this.keys) {
      if ((k.perms & perms) === perms && globMatch(k.pattern, key)) return true;
    }
    return false;
  }

  /** Whether a channel may be used; a subscription pattern must be listed as it is. */
  allowsChannel(channel: string, isPattern: boolean): boolean {
    if (this.allChannels) return true;
    for (const allowed of this.channels) {
      if (isPattern ? allowed === channel : globMatch(allowed, channel)) return true;
    }
    return false;
  }

  /** The key rules as ACL LIST and GETUSER show them ("~*", "%R~foo* ~bar"). */
  describeKeys(): string {
    if (this.allKeys) return "~*";
    return this.keys.map((k) =>
      (k.perms === READ ? "%R~" : k.perms === WRITE ? "%W~" : "~") + k.pattern
    ).join(" ");
  }

  /** The channel rules as GETUSER shows them ("&*", "&a &b", or ""). */
  describeChannels(): string {
    if (this.allChannels) return "&*";
    return this.channels.map((c) => "&" + c).join(" ");
  }

  /**
   * The command rules, worked out from what is allowed as Redis does: "+@all" or
   * "-@all", then the categories that fit best, then single commands, subcommands and
   * first arguments for what is still different.
   */
  describeCommands(): string {
    const catalog = this.#catalog;
    const additive = !this.future;
    const rules = [additive ? "-@all" : "+@all"];
    const shown = new Selector(catalog);
    shown.apply(additive ? "-@all" : "+@all");
    // What is left to explain: categories already used count as explained.
    const left = this.allowed.slice();
    const used = new Set<number>();
    for (;;) {
      let best = -1;
      let fewestWrong = Infinity;
      let mostRight = 0;
      for (let j = 0; j < ACL_CATEGORIES.length; j++) {
        if (used.has(j)) continue;
        let on = 0;
        let off = 0;
        const bit = 1 << j;
        for (const command of catalog.all) {
          if ((command.categories & bit) === 0) continue;
          if (left[command.id] === 1) on++;
          else off++;
        }
        const wrong = additive ? off : on;
        const right = additive ? on : off;
        if (
          right > wrong && (wrong < fewestWrong || (wrong === fewestWrong && right > mostRight))
        ) {
          best = j;
          fewestWrong = wrong;
          mostRight = right;
        }
      }
      if (best < 0) break;
      const bit = 1 << best;
      setCategory(catalog, shown.allowed, bit, additive ? 1 : 0, null);
      setCategory(catalog, left, bit, additive ? 0 : 1, null);
      rules.push((additive ? "+@" : "-@") + ACL_CATEGORIES[best]);
      used.add(best);
    }
    for (const command of catalog.all) {
      if (command.parent !== null) continue;
      const bit = this.allowed[command.id];
      if (shown.allowed[command.id] !== bit) {
        rules.push((bit === 1 ? "+" : "-") + command.fullName);
        changePerm(shown.allowed, command, bit, null);
      }
      for (const sub of command.children ?? []) {
        const subBit = this.allowed[sub.id];
        if (shown.allowed[sub.id] !== subBit) {
          rules.push((subBit === 1 ? "+" : "-") + sub.fullName);
          shown.allowed[sub.id] = subBit;
        }
      }
      const args = this.firstArgs?.get(command.id);
      if (bit === 0 && args !== undefined) {
        for (const arg of args) rules.push(`+${command.fullName}|${arg}`);
      }
    }
    return rules.join(" ");
  }

  /** The selector as one ACL LIST fragment: keys, channels, commands. */
  describe(): string {
    const channels = this.allChannels
      ? "&*"
      : ["resetchannels", ...this.channels.map((c) => "&" + c)].join(" ");
    return [this.describeKeys(), channels, this.describeCommands()].filter((p) => p !== "")
      .join(" ");
  }
}

// What a key argument needs: READ for a spec that reads the value (access), WRITE for
// one that inserts, updates or deletes.
function permsNeeded(flags: readonly string[]): number {
  let perms = 0;
  for (const flag of flags) {
    if (flag === "access") perms |= READ;
    else if (flag === "insert" || flag === "update" || flag === "delete") perms |= WRITE;
  }
  return perms;
}

// Allows or refuses one command; a container takes its subcommands along. Allowed
// first arguments of the command are forgotten.
function changePerm(
  bits: Uint8Array,
  command: AclCommand,
  value: number,
  owner: Selector | null,
): void {
  bits[command.id] = value;
  owner?.firstArgs?.delete(command.id);
  for (const sub of command.children ?? []) bits[sub.id] = value;
}

// Allows or refuses every command of a category (a container in it takes all its
// subcommands along, as in Redis).
function setCategory(
  catalog: AclCatalog,
  bits: Uint8Array,
  bit: number,
  value: number,
  owner: Selector | null,
): void {
  for (const command of catalog.all) {
    if ((command.categories & bit) !== 0) changePerm(bits, command, value, owner);
  }
}
