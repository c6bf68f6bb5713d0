// The set type (being written): unordered unique one-byte strings.

/** A set value. */
export class SetValue {
  readonly type = "set";

  /** OBJECT ENCODING's answer. */
  get encoding(): string {
    return "";
  }

  /** A copy sharing nothing mutable (COPY). */
  clone(): SetValue {
    return new SetValue();
  }
}
