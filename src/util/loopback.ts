// Redis's test for a local client (islocalClient), for TCP: the peer's address is
// exactly the IPv4 or the IPv6 loopback address (a client of the Unix socket is local
// too: Client.local). Protected mode and the "local" setting of the protected commands
// and configs all ask it.

/** True when `host` is exactly 127.0.0.1 or ::1. */
export function isLoopbackHost(host: string): boolean {
  return host === "127.0.0.1" || host === "::1";
}

/** isLoopbackHost for a client address as CLIENT LIST shows it ("host:port"). */
export function isLoopbackAddress(addr: string): boolean {
  return isLoopbackHost(addr.slice(0, addr.lastIndexOf(":")));
}
