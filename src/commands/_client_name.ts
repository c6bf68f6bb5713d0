// The rule for client names (CLIENT SETNAME, HELLO SETNAME).

/** True when a client name has only printable, non-space characters. */
export function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 33 || c > 126) return false;
  }
  return true;
}
