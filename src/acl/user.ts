// One ACL user: on or off, its password hashes (SHA-256, never the passwords), its
// payload-sanitizing flag, a root selector and any extra selectors.

import { sha256Hex } from "../util/sha.ts";
import type { AclCatalog } from "./catalog.ts";
import { type CallArgs, type Denial, READ, Selector } from "./selector.ts";

export const ERR_NO_SUCH_PASSWORD =
  "The password you are trying to remove from the user does not exist";
export const ERR_BAD_HASH =
  "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";

const HASH = /^[0-9a-f]{64}$/;

/** The SHA-256 of a password (its bytes: one char per byte), in lowercase hex. */
export function passwordHash(password: string): string {
  return sha256Hex(password);
}

export class User {
  readonly name: string;
  enabled = false;
  nopass = false;
  /** "", "sanitize-payload" or "skip-sanitize-payload". */
  sanitize = "";
  passwords: string[] = [];
  root: Selector;
  selectors: Selector[] = [];
  /** True when the user may run anything (checks are skipped); kept up to date. */
  unrestricted = false;
  readonly #catalog: AclCatalog;

  constructor(name: string, catalog: AclCatalog, allChannels: boolean) {
    this.name = name;
    this.#catalog = catalog;
    this.root = new Selector(catalog);
    this.root.allChannels = allChannels;
  }

  clone(): User {
    const copy = new User(this.name, this.#catalog, false);
    copy.copyFrom(this);
    return copy;
  }

  /** Takes every setting of another user (of the same name): SETUSER applies a copy. */
  copyFrom(other: User): void {
    this.enabled = other.enabled;
    this.nopass = other.nopass;
    this.sanitize = other.sanitize;
    this.passwords = [...other.passwords];
    this.root = other.root.clone();
    this.selectors = other.selectors.map((s) => s.clone());
    this.unrestricted = other.unrestricted;
  }

  /**
   * Applies one rule; returns null, or why it cannot be applied. `allChannels` is
   * acl-pubsub-default (what "reset" gives a user).
   */
  apply(op: string, allChannels: boolean): string | null {
    const error = this.#apply(op, allChannels);
    this.unrestricted = this.root.unrestricted;
    return error;
  }

  #apply(op: string, allChannels: boolean): string | null {
    const lower = op.toLowerCase();
    switch (lower) {
      case "on":
        this.enabled = true;
        return null;
      case "off":
        this.enabled = false;
        return null;
      case "nopass":
        this.nopass = true;
        this.passwords = [];
        return null;
      case "resetpass":
        this.nopass = false;
        this.passwords = [];
        return null;
      case "skip-sanitize-payload":
      case "sanitize-payload":
        this.sanitize = lower;
        return null;
      case "clearselectors":
        this.selectors = [];
        return null;
      case "reset":
        this.#apply("resetpass", allChannels);
        this.root.apply("resetkeys");
        this.root.apply(allChannels ? "allchannels" : "resetchannels");
        this.enabled = false;
        this.sanitize = "sanitize-payload";
        this.selectors = [];
        this.root.apply("-@all");
        return null;
    }
    const first = op[0];
    if (first === ">" || first === "#") {
      const hash = first === ">" ? passwordHash(op.slice(1)) : op.slice(1);
      if (first === "#" && !HASH.test(hash)) return ERR_BAD_HASH;
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.nopass = false;
      return null;
    }
    if (first === "<" || first === "!") {
      const hash = first === "<" ? passwordHash(op.slice(1)) : op.slice(1);
      if (first === "!" && !HASH.test(hash)) return ERR_BAD_HASH;
      const at = this.passwords.indexOf(hash);
      if (at < 0) return ERR_NO_SUCH_PASSWORD;
      this.passwords.splice(at, 1);
      return null;
    }
    if (first === "(" && op.endsWith(")")) {
      const selector = new Selector(this.#catalog);
      for (const rule of op.slice(1, -1).split(" ")) {
        if (rule === "") continue;
        const error = selector.apply(rule);
        if (error !== null) return error;
      }
      this.selectors.push(selector);
      return null;
    }
    return this.root.apply(op);
  }

  /** Whether a password opens this user (when it is on). */
  accepts(password: string): boolean {
    if (!this.enabled) return false;
    if (this.nopass) return true;
    if (this.passwords.length === 0) return false;
    return this.passwords.includes(passwordHash(password));
  }

  /**
   * Whether the user may run the call: null, or the refusal to report (the worst of
   * every selector's, on the latest argument for equal reasons).
   */
  check(command: Parameters<Selector["check"]>[0], call: CallArgs): Denial | null {
    if (this.unrestricted) return null;
    let worst = this.root.check(command, call);
    if (worst === null) return null;
    for (const selector of this.selectors) {
      const denial = selector.check(command, call);
      if (denial === null) return null;
      if (
        denial.reason > worst.reason ||
        (denial.reason === worst.reason && denial.index > worst.index)
      ) {
        worst = denial;
      }
    }
    return worst;
  }

  /**
   * Whether one selector lets the user read every key (the key "*" itself matches a
   * readable pattern): SORT's BY and GET patterns need it.
   */
  mayReadAnyKey(): boolean {
    return this.root.allowsKey("*", READ) || this.selectors.some((s) => s.allowsKey("*", READ));
  }

  /** The flags GETUSER lists. */
  flags(): string[] {
    const flags = [this.enabled ? "on" : "off"];
    if (this.nopass) flags.push("nopass");
    if (this.sanitize !== "") flags.push(this.sanitize);
    return flags;
  }

  /** The user as ACL LIST and ACL files write it, without the leading "user ". */
  describe(): string {
    const parts = [this.name, ...this.flags(), ...this.passwords.map((h) => "#" + h)];
    parts.push(this.root.describe());
    for (const selector of this.selectors) parts.push(`(${selector.describe()})`);
    return parts.join(" ");
  }
}
