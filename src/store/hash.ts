// The hash type: field → value, both one-byte strings, in insertion order.
//
// Redis keeps a small hash as a listpack (fields in insertion order; an update keeps
// the field's place, a deleted and re-added field goes to the end) and converts it to
// a hashtable once it outgrows hash-max-listpack-entries / hash-max-listpack-value,
// never converting back. A JS Map keeps exactly the listpack's order, so replies of a
// listpack-encoded hash match Redis byte for byte. A hashtable's order is its own (as
// Redis's is), so its fields move to a StringTable (./string_table.ts), which a field
// read from a socket is looked up in without V8 first looking it up in its string table.

import type { Account } from "./accounting.ts";
import { StringTable } from "./string_table.ts";

/** A hash's fields: a Map while listpack-encoded, a StringTable once a hashtable. */
export type HashFields = Map<string, string> | StringTable<string>;

/** Redis keeps small hashes as a listpack; past these limits it converts to a hashtable. */
export interface HashLimits {
  maxListpackEntries: number;
  maxListpackValue: number;
}

/** A hash value. Remembers whether Redis would have converted it to a hashtable. */
export class HashValue {
  /** Where the memory total counts this value (see store/accounting.ts). */
  account: Account | null = null;
  #fields: HashFields = new Map<string, string>();
  #hashtable = false;
  /** The fields as an array, for random picks (HRANDFIELD); rebuilt after a delete. */
  #order: string[] | null = null;

  /** Field → value (see HashFields). */
  get fields(): HashFields {
    return this.#fields;
  }

  /** True once the hash outgrew the listpack limits (Redis never converts back). */
  get hashtable(): boolean {
    return this.#hashtable;
  }

  set hashtable(on: boolean) {
    if (on === this.#hashtable) return;
    const fields: HashFields = on ? new StringTable<string>() : new Map<string, string>();
    for (const [field, value] of this.#fields) fields.set(field, value);
    this.#fields = fields;
    this.#hashtable = on;
  }

  get size(): number {
    return this.fields.size;
  }

  get(field: string): string | undefined {
    return this.fields.get(field);
  }

  has(field: string): boolean {
    return this.fields.has(field);
  }

  /**
   * Sets a field; returns true when the field is new. Converts to a hashtable when
   * the field or value is longer than the limit, or the hash has too many fields.
   */
  set(field: string, value: string, limits: HashLimits): boolean {
    const before = this.fields.size;
    this.fields.set(field, value);
    const added = this.fields.size > before;
    if (added && this.#order !== null) this.#order.push(field);
    if (
      !this.hashtable && (this.fields.size > limits.maxListpackEntries ||
        field.length > limits.maxListpackValue || value.length > limits.maxListpackValue)
    ) {
      this.hashtable = true;
    }
    return added;
  }

  /** Removes a field; true when it existed. */
  delete(field: string): boolean {
    if (!this.fields.delete(field)) return false;
    this.#order = null;
    return true;
  }

  /** OBJECT ENCODING's answer. */
  get encoding(): "listpack" | "hashtable" {
    return this.hashtable ? "hashtable" : "listpack";
  }

  /** Every field in order, as an array that stays cached until a field is deleted. */
  fieldArray(): readonly string[] {
    // The size check also catches writes made straight to `fields`.
    if (this.#order === null || this.#order.length !== this.fields.size) {
      this.#order = [...this.fields.keys()];
    }
    return this.#order;
  }

  /** A field picked uniformly at random; the hash must not be empty. */
  randomField(): string {
    const order = this.fieldArray();
    return order[Math.floor(Math.random() * order.length)];
  }
}
