// The hash type: field → value, both one-byte strings.

/** Redis keeps small hashes as a listpack; past these limits it converts to a hashtable. */
export interface HashLimits {
  maxListpackEntries: number;
  maxListpackValue: number;
}

/** A hash value. Remembers whether Redis would have converted it to a hashtable. */
export class HashValue {
  readonly fields = new Map<string, string>();
  /** True once the hash outgrew the listpack limits (Redis never converts back). */
  hashtable = false;

  get size(): number {
    return this.fields.size;
  }

  get(field: string): string | undefined {
    return this.fields.get(field);
  }

  /** Sets a field; returns true when the field is new. */
  set(field: string, value: string, limits: HashLimits): boolean {
    const before = this.fields.size;
    this.fields.set(field, value);
    if (
      !this.hashtable && (this.fields.size > limits.maxListpackEntries ||
        field.length > limits.maxListpackValue || value.length > limits.maxListpackValue)
    ) {
      this.hashtable = true;
    }
    return this.fields.size > before;
  }

  delete(field: string): boolean {
    return this.fields.delete(field);
  }

  /** OBJECT ENCODING's answer. */
  get encoding(): "listpack" | "hashtable" {
    return this.hashtable ? "hashtable" : "listpack";
  }
}
