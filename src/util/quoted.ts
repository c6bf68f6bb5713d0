// The double-quoted form of a one-byte string that Redis's argument splitter reads
// back as it was (config files, the AOF manifest): backslash escapes for quotes,
// backslashes and control bytes, \xHH for bytes outside printable ASCII.

/** `text` in double quotes, escaped. */
export function quoted(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ch = text[i];
    if (ch === "\\" || ch === '"') out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c === 7) out += "\\a";
    else if (c === 8) out += "\\b";
    else if (c < 0x20 || c > 0x7e) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + '"';
}
