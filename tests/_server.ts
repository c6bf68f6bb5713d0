// Test helpers: free ports, starting the real Redeno process and a real redis-server,
// raw TCP exchanges, and the rule for tests that need external tools (skip with a
// reason locally; fail when CI=true).

const ROOT = new URL("../", import.meta.url).pathname;

/** A server process the tests started. */
export interface RunningServer {
  port: number;
  process: Deno.ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Stops the process (SIGTERM, then SIGKILL) and waits for it. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

const handedOut = new Set<number>();

// Ports handed out by any test process or `--parallel` worker on this machine, one
// empty file each: a port is given to one caller only, even while its server is still
// starting and the port looks free to everyone else. Claims expire after a while, so
// the files left behind by earlier runs free their ports again.
const CLAIMS = `${Deno.env.get("TMPDIR") ?? "/tmp"}/redeno-test-ports`;
const CLAIM_EXPIRES_MS = 2 * 60 * 1000;

// True when this caller now owns the claim on `port` (also when claims cannot be kept).
function claim(port: number): boolean {
  const file = `${CLAIMS}/${port}`;
  try {
    Deno.mkdirSync(CLAIMS, { recursive: true });
    const stale = Date.now() - (Deno.statSync(file).mtime?.getTime() ?? 0) > CLAIM_EXPIRES_MS;
    if (!stale) return false;
    Deno.removeSync(file);
  } catch {
    // No claim yet, or no claims directory to be had.
  }
  try {
    Deno.writeFileSync(file, new Uint8Array(0), { createNew: true });
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.AlreadyExists);
  }
}

// REDENO_TEST_PORTS=LOW-HIGH keeps the ports tests pick within that range (a machine
// shared with other runs); by default 20000-31999.
const PORT_RANGE = (() => {
  const match = /^(\d+)-(\d+)$/.exec(Deno.env.get("REDENO_TEST_PORTS") ?? "");
  return match === null ? [20000, 31999] : [Number(match[1]), Number(match[2])];
})();

/**
 * A TCP port nobody listens on right now and no other test was given lately, picked
 * at random below Linux's ephemeral range (32768+), where client sockets of other
 * tests take their local ports. A server that still fails to listen on it should try
 * another (startRedeno, startRedis and startInProcess do).
 */
export function freePort(): number {
  const [low, high] = PORT_RANGE;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port)) continue;
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
    } catch {
      continue;
    }
    if (!claim(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error("no free port found");
}

/** True when `name` is an executable on PATH. */
export function hasTool(name: string): boolean {
  try {
    const status = new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return status.success;
  } catch {
    return false;
  }
}

/**
 * Whether a test needing these tools should be skipped. Prints why; when CI=true a
 * missing tool is a failure, not a skip.
 */
export function skipWithout(...tools: string[]): boolean {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) return false;
  if (Deno.env.get("CI") === "true") {
    throw new Error(`CI=true but ${missing.join(", ")} is not installed`);
  }
  console.log(
    `SKIP: ${missing.join(", ")} not installed (apt-get install redis-server redis-tools)`,
  );
  return true;
}

function spawn(cmd: string, args: string[], cwd?: string): {
  process: Deno.ChildProcess;
  output: () => string;
} {
  const process = new Deno.Command(cmd, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  for (const stream of [process.stdout, process.stderr]) {
    (async () => {
      for await (const chunk of stream) text += decoder.decode(chunk);
    })().catch(() => {});
  }
  return { process, output: () => text };
}

/**
 * Resolves once something accepts connections on the port and answers PING (a server
 * started with a password answers NOAUTH, which counts too, as do `alsoAccepted`).
 */
export async function waitForPing(
  port: number,
  timeoutMs = 15000,
  alsoAccepted: string[] = [],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const accepted = ["+PONG", "-NOAUTH", ...alsoAccepted];
  while (Date.now() < deadline) {
    try {
      const reply = await pingOnce(port, 500);
      if (accepted.some((start) => reply.startsWith(start))) return;
    } catch {
      // Not up yet.
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing answered PING on port ${port} within ${timeoutMs} ms`);
}

// Sends PING and returns the first reply line as soon as it is complete.
async function pingOnce(port: number, timeoutMs: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const timeout = new Promise<null>((r) => {
      timer = setTimeout(() => r(null), timeoutMs);
    });
    const buf = new Uint8Array(1024);
    let text = "";
    while (!text.includes("\r\n")) {
      const n = await Promise.race([conn.read(buf), timeout]);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text;
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}

function wrap(port: number, child: { process: Deno.ChildProcess; output: () => string }) {
  let status: Promise<Deno.CommandStatus> | null = null;
  return {
    port,
    process: child.process,
    output: child.output,
    stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
      if (status === null) {
        try {
          child.process.kill(signal);
        } catch {
          // Already gone.
        }
        const timer = setTimeout(() => {
          try {
            child.process.kill("SIGKILL");
          } catch {
            // Already gone.
          }
        }, 5000);
        status = child.process.status.finally(() => clearTimeout(timer));
      }
      return status;
    },
  };
}

/**
 * Starts a server on `port`, making sure the process answering is the one started:
 * another test's server may have taken the port in the meantime, and then this one
 * fails to bind and exits. In that case it tries again on another free port, so use
 * the returned server's `port`.
 */
async function startOn(
  port: number,
  launch: (port: number) => { process: Deno.ChildProcess; output: () => string },
): Promise<RunningServer> {
  let lastError: Error | null = null;
  for (let attempt = 0; attempt < 5; attempt++, port = freePort()) {
    const child = launch(port);
    const server = wrap(port, child);
    let exited = false;
    child.process.status.then(() => (exited = true));
    try {
      await waitForPing(port);
      // Both servers log this line once they listen; a child that lost the port exits.
      const deadline = Date.now() + 15000;
      while (!exited && !child.output().includes("Ready to accept connections")) {
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      if (!exited) return server;
      lastError = new Error(`the server on port ${port} exited:\n${child.output()}`);
    } catch (error) {
      await server.stop("SIGKILL");
      lastError = new Error(`${(error as Error).message}\n${child.output()}`);
    }
  }
  throw lastError;
}

/**
 * The V8 flags Redeno ships with, as `deno task start` (and the compiled binary) passes
 * them: the servers this harness starts (and so the benchmarks) run as shipped.
 */
export const SHIPPED_V8_FLAGS: string[] = shippedFlags(/--v8-flags=\S+/g);

/**
 * The permissions `deno task start` grants (FFI among them: replies are sent through
 * it): the servers this harness starts with startRedeno run as shipped, so the tests
 * and the benchmark exercise the path users run.
 */
export const SHIPPED_PERMISSIONS: string[] = shippedFlags(/--allow-[a-z-]+/g);

function shippedFlags(pattern: RegExp): string[] {
  const config = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url)));
  return (config.tasks.start as string).match(pattern) ?? [];
}

/**
 * Starts Redeno (`deno run src/main.ts`) with extra redis-server style arguments, in a
 * fresh temporary `dir` with no save rules unless the arguments say otherwise. A
 * config file given first stays first, as redis-server wants it.
 */
export function startRedeno(port: number, args: string[] = []): Promise<RunningServer> {
  const configFile = args.length > 0 && !args[0].startsWith("-") ? [args[0]] : [];
  args = args.slice(configFile.length);
  return startOn(port, (p) =>
    spawn(Deno.execPath(), [
      "run",
      ...SHIPPED_V8_FLAGS,
      ...SHIPPED_PERMISSIONS,
      `${ROOT}src/main.ts`,
      ...configFile,
      "--port",
      String(p),
      "--bind",
      "127.0.0.1",
      // Like startRedis: no save rules and a directory of its own, so a test never loads
      // data another left behind (arguments that follow override both).
      "--save",
      "",
      "--dir",
      Deno.makeTempDirSync({ prefix: "redeno-test-" }),
      ...args,
    ]));
}

/**
 * Starts Redeno with all permissions and exactly the arguments given (nothing added,
 * no other port tried: for a server restarted on the same port from the same config
 * file, or one that must write /proc files), once it answers PING on `port` (or with
 * one of `alsoAccepted`, see waitForPing).
 */
export async function startRedenoAsGiven(
  port: number,
  args: string[],
  cwd?: string,
  alsoAccepted: string[] = [],
): Promise<RunningServer> {
  const server = wrap(
    port,
    spawn(
      Deno.execPath(),
      ["run", ...SHIPPED_V8_FLAGS, "--allow-all", `${ROOT}src/main.ts`, ...args],
      cwd,
    ),
  );
  try {
    await waitForPing(port, 15000, alsoAccepted);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/**
 * Starts Redeno (all permissions, `--port`, `--bind 127.0.0.1`, then `args`) and
 * resolves as soon as it answers PING at all: -LOADING counts, so that a start-up load
 * can be watched.
 */
export function startRedenoLoading(port: number, args: string[]): Promise<RunningServer> {
  const given = ["--port", String(port), "--bind", "127.0.0.1", ...args];
  return startRedenoAsGiven(port, given, undefined, ["-LOADING"]);
}

/**
 * Runs Redeno with all permissions and exactly these arguments until it exits by
 * itself (a start-up that must fail), in a fresh directory unless `cwd` is given;
 * gives up after 20 s. Answers its exit code and what it printed.
 */
export async function runRedenoToExit(
  args: string[],
  cwd = Deno.makeTempDirSync({ prefix: "redeno-test-" }),
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...SHIPPED_V8_FLAGS, "--allow-all", `${ROOT}src/main.ts`, ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20000),
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Starts a real redis-server with no persistence. */
export function startRedis(port: number, args: string[] = []): Promise<RunningServer> {
  return startOn(port, (p) =>
    spawn("redis-server", [
      "--port",
      String(p),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      ...args,
    ], Deno.makeTempDirSync()));
}

/**
 * Sends raw bytes, then collects the reply until the server closes the connection or
 * nothing more arrives for `quietMs`. Returns the bytes as a one-byte string.
 */
export async function exchange(
  port: number,
  request: Uint8Array,
  quietMs = 300,
): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(request);
    return await readUntilQuiet(conn, quietMs);
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the server.
    }
  }
}

/** Reads until the peer closes or stays quiet for `quietMs`; one-byte string. */
export async function readUntilQuiet(conn: Deno.Conn, quietMs: number): Promise<string> {
  const buf = new Uint8Array(65536);
  let out = "";
  while (true) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"quiet">((r) => {
      timer = setTimeout(() => r("quiet"), quietMs);
    });
    const n = await Promise.race([conn.read(buf), timeout]);
    clearTimeout(timer);
    if (n === "quiet") return out;
    if (n === null) return out + "<closed>";
    for (let i = 0; i < n; i++) out += String.fromCharCode(buf[i]);
  }
}

/** Encodes a command as a RESP multibulk request (arguments are one-byte strings). */
export function resp(...args: string[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${a.length}\r\n${a}\r\n`;
  return out;
}

/** Sends one command and returns its raw reply (what arrives until 100 ms of quiet). */
export async function call(port: number, ...argv: string[]): Promise<string> {
  return await exchange(port, bytes(resp(...argv)), 100);
}

/** VmRSS of a process in bytes (0 when /proc cannot tell). */
export function rssOf(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const match = status.match(/^VmRSS:\s+(\d+) kB/m);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** A one-byte string as bytes. */
export function bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Runs redis-cli with arguments (and optional stdin) and returns its stdout. */
export async function redisCli(
  port: number,
  args: string[],
  stdin?: Uint8Array,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command("redis-cli", {
    args: ["-p", String(port), ...args],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
