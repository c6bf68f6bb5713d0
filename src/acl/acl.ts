// The ACL users of a server: SETUSER/DELUSER, logging in, the checks dispatch asks
// for, the ACL LOG, and users read from `user` directives or an ACL file (and written
// back by ACL SAVE). Users are changed in place, so the clients that logged in as
// one see its new rules at once.

import { splitArgs } from "../protocol/split_args.ts";
import type { AclCatalog, AclCommand } from "./catalog.ts";
import { AclLog } from "./acl_log.ts";
import {
  type CallArgs,
  type Denial,
  DENIED_AUTH,
  DENIED_CHANNEL,
  DENIED_COMMAND,
  DENIED_KEY,
} from "./selector.ts";
import { User } from "./user.ts";
import { cString } from "../util/latin1.ts";

export { User } from "./user.ts";
export type { CallArgs, ChannelArg, Denial, KeyArg } from "./selector.ts";
export { DENIED_AUTH, DENIED_CHANNEL, DENIED_COMMAND, DENIED_KEY } from "./selector.ts";

/** ACL LOG's reason names, by denial reason. */
export const REASON_NAMES: Record<number, string> = {
  [DENIED_COMMAND]: "command",
  [DENIED_KEY]: "key",
  [DENIED_AUTH]: "auth",
  [DENIED_CHANNEL]: "channel",
};

const ERR_USERNAME = "ERR Usernames can't contain spaces or null characters";

/** True for a name a user may have: no whitespace and no NUL byte. */
export function isValidUsername(name: string): boolean {
  return !/[\s\0]/.test(name);
}

/**
 * Joins rules of a selector split over several arguments ("(~x", "+get)") into one;
 * returns the rules, or the argument whose parenthesis is never closed.
 */
export function mergeSelectorRules(ops: readonly string[]): string[] | { unmatched: string } {
  const merged: string[] = [];
  let open: string[] | null = null;
  for (const op of ops) {
    if (open === null) {
      if (op.startsWith("(") && !op.endsWith(")")) open = [op];
      else merged.push(op);
    } else {
      open.push(op);
      if (op.endsWith(")")) {
        merged.push(open.join(" "));
        open = null;
      }
    }
  }
  if (open !== null) return { unmatched: open[0] };
  return merged;
}

export class Acl {
  readonly catalog: AclCatalog;
  readonly users = new Map<string, User>();
  /** The user every connection starts as; the same object for the server's life. */
  readonly defaultUser: User;
  /** A user outside the registry that may run anything: the AOF loader, scripts' client. */
  readonly internal: User;
  readonly log = new AclLog();
  readonly #allChannels: () => boolean;

  /** `allChannels`: whether acl-pubsub-default is allchannels (read at each use). */
  constructor(catalog: AclCatalog, allChannels: () => boolean) {
    this.catalog = catalog;
    this.#allChannels = allChannels;
    this.defaultUser = this.#newDefaultUser();
    this.users.set("default", this.defaultUser);
    this.internal = this.#newDefaultUser();
  }

  #newDefaultUser(): User {
    const user = new User("default", this.catalog, true);
    for (const op of ["+@all", "~*", "&*", "on", "nopass"]) user.apply(op, true);
    return user;
  }

  /** A user that has no rules yet (off, no commands, channels as acl-pubsub-default says). */
  newUser(name: string): User {
    return new User(name, this.catalog, this.#allChannels());
  }

  /** ACL SETUSER: applies every rule or none; returns null or the error reply. */
  setUser(name: string, ops: readonly string[]): string | null {
    if (!isValidUsername(name)) return ERR_USERNAME;
    const merged = mergeSelectorRules(ops);
    if (!Array.isArray(merged)) {
      return `ERR Unmatched parenthesis in acl selector starting at '${merged.unmatched}'.`;
    }
    const existing = this.users.get(name);
    const user = existing?.clone() ?? this.newUser(name);
    const allChannels = this.#allChannels();
    for (const op of merged) {
      const error = user.apply(op, allChannels);
      if (error !== null) return `ERR Error in ACL SETUSER modifier '${cString(op)}': ${error}`;
    }
    if (existing !== undefined) existing.copyFrom(user);
    else this.users.set(name, user);
    return null;
  }

  /** The user that the name and password open, or null (no such user, off, wrong password). */
  authenticate(name: string, password: string): User | null {
    const user = this.users.get(name);
    return user !== undefined && user.accepts(password) ? user : null;
  }

  /** Whether the user may run the call: null, or the refusal. */
  check(user: User, command: AclCommand, call: CallArgs): Denial | null {
    return user.unrestricted ? null : user.check(command, call);
  }

  /** Every user's ACL LIST line, by name. */
  list(): string[] {
    return [...this.users.keys()].sort().map((name) => "user " + this.users.get(name)!.describe());
  }

  /** `default` again as a fresh server has it (before `user` directives or a file). */
  resetDefaultUser(): void {
    this.defaultUser.copyFrom(this.#newDefaultUser());
  }

  /**
   * Applies the `user` directives of the configuration (name, then rules) at start-up;
   * returns null or the message to stop on.
   */
  loadDirectives(lines: readonly (readonly string[])[]): string | null {
    for (const [name, ...ops] of lines) {
      if (!isValidUsername(name)) return "Spaces not allowed in ACL usernames";
      const merged = mergeSelectorRules(ops);
      if (!Array.isArray(merged)) {
        return `Unmatched parenthesis in acl selector starting at '${merged.unmatched}'.`;
      }
      let user: User;
      if (name === "default") {
        user = this.defaultUser;
        user.apply("reset", this.#allChannels());
      } else {
        user = this.newUser(name);
        this.users.set(name, user);
      }
      for (const op of merged) {
        const error = user.apply(op, this.#allChannels());
        if (error !== null) {
          return `Error loading ACL rule '${op}' for the user named '${name}': ${error}`;
        }
      }
    }
    return null;
  }

  /**
   * Replaces every user with those of an ACL file's text, or changes nothing when a
   * line is wrong. Returns the users that are gone (their clients must be closed:
   * every user but `default`, whose object stays), or the error text.
   */
  loadFile(text: string, path: string): { removed: User[] } | { error: string } {
    const loaded = new Map<string, User>();
    let errors = "";
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const n = i + 1;
      const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
      if (line === "") continue;
      const args = splitArgs(line);
      if (args === null) {
        errors += `${path}:${n}: unbalanced quotes in acl line. `;
        continue;
      }
      if (args.length < 2 || args[0] !== "user") {
        errors += `${path}:${n} should start with user keyword followed by the username. `;
        continue;
      }
      const name = args[1];
      if (loaded.has(name)) {
        errors += `WARNING: Duplicate user '${name}' found on line ${n}. `;
        continue;
      }
      if (!isValidUsername(name)) {
        errors += `${path}:${n}: username '${name}' contains invalid characters. `;
        continue;
      }
      const merged = mergeSelectorRules(args.slice(2));
      if (!Array.isArray(merged)) {
        errors += `${path}:${n}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      const user = this.newUser(name);
      let failed = false;
      for (const op of merged) {
        const error = user.apply(op, this.#allChannels());
        if (error !== null) {
          errors += `${path}:${n}: Error in applying operation '${op}': ${error}. `;
          failed = true;
          break;
        }
      }
      if (!failed) loaded.set(name, user);
    }
    if (errors !== "") {
      return {
        error: errors +
          "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
      };
    }
    const removed = [...this.users.values()].filter((u) => u !== this.defaultUser);
    const newDefault = loaded.get("default");
    if (newDefault !== undefined) this.defaultUser.copyFrom(newDefault);
    else this.resetDefaultUser();
    loaded.set("default", this.defaultUser);
    this.users.clear();
    for (const [name, user] of loaded) this.users.set(name, user);
    return { removed };
  }

  /** The text ACL SAVE writes: one `user` line per user, by name. */
  fileText(): string {
    return this.list().map((line) => line + "\n").join("");
  }
}
