// Entry point and `deno compile` target: arguments → configuration → listen → load data.
//
// The server's code (most of Redeno's modules) is imported dynamically, so that its
// loading, a good part of start-up, overlaps reading the configuration and the RDB file.

import { ConfigError, helpText, loadConfig } from "./config/mod.ts";
import { Logger, type LogLevel } from "./log.ts";
import { fsPath } from "./util/latin1.ts";
import type { PrefetchedFile } from "./persistence/persistence_host.ts";
import type { Server } from "./server/server.ts";
import { REDENO_VERSION, REDIS_VERSION } from "./version.ts";

const serverCode = import("./server/server.ts");
const oomCode = import("./server/oom_score_adj.ts");
// Awaited in main(); until then, a failure must not count as unhandled.
serverCode.catch(() => {});
oomCode.catch(() => {});

/** Starts a server from redis-server style arguments; resolves when it has shut down. */
export async function main(args: string[]): Promise<number> {
  let loaded;
  try {
    loaded = await loadConfig(args);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
  if (loaded.kind === "help") {
    console.log(helpText());
    return 0;
  }
  if (loaded.kind === "version") {
    console.log(
      `Redeno v=${REDENO_VERSION} (Redis ${REDIS_VERSION} compatible) deno=${Deno.version.deno}`,
    );
    return 0;
  }
  const config = loaded.config;
  const log = new Logger(config.string("loglevel") as LogLevel, fsPath(config.string("logfile")));
  config.onChange("loglevel", () => {
    log.level = config.string("loglevel") as LogLevel;
  });
  const dir = config.string("dir");
  try {
    Deno.chdir(fsPath(dir));
  } catch (error) {
    log.warning(`Can't chdir to '${dir}': ${error}`);
    return 1;
  }
  log.notice("oO0OoO0OoO0Oo Redeno is starting oO0OoO0OoO0Oo");
  log.notice(
    `Redeno version=${REDENO_VERSION}, redis-compat=${REDIS_VERSION}, deno=${Deno.version.deno}, ` +
      `pid=${Deno.pid}, just started`,
  );
  const pidfile = writePidFile(fsPath(config.string("pidfile")), log);
  const rdbFile = readAhead(config);
  const { ListenError, Server } = await serverCode;
  let server: Server;
  try {
    server = new Server(config, log, { configFile: loaded.configFile ?? "" });
  } catch (error) {
    // A rename-command that cannot be applied is a configuration error.
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    removePidFile(pidfile, log);
    return 1;
  }
  try {
    server.listen();
  } catch (error) {
    log.warning((error as Error).message);
    if (!(error instanceof ListenError) || error.tcp) {
      // Redis's words: test harnesses look for them to retry on another port.
      log.warning(`Failed listening on port ${config.number("port")} (TCP), aborting.`);
    }
    removePidFile(pidfile, log);
    return 1;
  }
  server.roleWatchers.push(
    (await oomCode).manageOomScoreAdj(config, log, () => server.replication.isReplica),
  );
  // Like Redis: a banner with the port and pid when always-show-logo is set or the log
  // goes to a terminal (Redis's test harness waits for " PID: <pid>" in it), otherwise
  // one line.
  if (
    config.bool("always-show-logo") ||
    (config.string("logfile") === "" && Deno.stdout.isTerminal())
  ) {
    log.raw("notice", banner(server.port));
  } else {
    log.notice(`Running mode=standalone, port=${server.port}.`);
  }
  log.notice("Server initialized");
  try {
    // As in Redis, clients connecting during the load are answered -LOADING.
    await server.load({ rdbFile });
  } catch (error) {
    const shutDown = server.stopping;
    if (!shutDown) log.warning((error as Error).message);
    else await server.closed;
    // A load that failed ends on its reason, as in Redis (whose process just exits):
    // harnesses read the log's last line for it.
    removePidFile(pidfile, log, !shutDown);
    // A SHUTDOWN that came during the load ends it, and the process, as asked.
    return shutDown ? 0 : 1;
  }
  log.notice("Ready to accept connections tcp");
  if (server.unixSocket !== "") {
    log.notice(`The server is now ready to accept connections at ${server.unixSocket}`);
  }
  // A replica connects to its master (`replicaof`) once it serves clients.
  server.replication.start();
  const signals = handleSignals(server);
  await server.closed;
  signals.remove();
  removePidFile(pidfile, log);
  log.close();
  return 0;
}

/**
 * Starts reading the RDB file the start-up load will read (not the AOF: it is replayed
 * as it is read), on another thread, while the server's code loads.
 */
function readAhead(config: { string(name: string): string }): PrefetchedFile | undefined {
  if (config.string("appendonly") === "yes") return undefined;
  const path = `${fsPath(config.string("dir"))}/${fsPath(config.string("dbfilename"))}`;
  let bytes: Promise<Uint8Array | null> | null = readWhole(path).catch(() => null);
  return {
    path,
    take() {
      const taken = bytes ?? Promise.resolve(null);
      bytes = null;
      return taken;
    },
  };
}

// A whole file, read in one go into a buffer of its size (Deno.readFile takes twice as
// long for a large one). Null if it changed size meanwhile: the load reads it itself.
async function readWhole(path: string): Promise<Uint8Array | null> {
  const file = await Deno.open(path, { read: true });
  try {
    const bytes = new Uint8Array((await file.stat()).size);
    let filled = 0;
    while (filled < bytes.length) {
      const n = await file.read(bytes.subarray(filled));
      if (n === null) return null;
      filled += n;
    }
    return await file.read(new Uint8Array(1)) === null ? bytes : null;
  } finally {
    file.close();
  }
}

/**
 * SIGINT and SIGTERM. Like Redis, a signal only asks for the shutdown; the next cron
 * tick runs it, unless SHUTDOWN ABORT came first or DEBUG PAUSE-CRON holds the cron. It
 * then does what shutdown-on-sigint or shutdown-on-sigterm says (SHUTDOWN's flags:
 * save, nosave, force; "default" saves when save rules exist), holding clients back
 * while it saves. A SIGINT while a shutdown is asked for or saving ends the process at
 * once, removing the unfinished snapshot, as Redis does.
 */
function handleSignals(server: Server): { remove(): void } {
  const { config, log, persistence } = server;
  let tick: ReturnType<typeof setInterval> | undefined;
  let last: "SIGINT" | "SIGTERM" = "SIGTERM";
  let saving = false;
  const shutdown = async () => {
    if (persistence.shutdownAsap && server.debug.pauseCron) return;
    clearInterval(tick);
    tick = undefined;
    if (!persistence.shutdownAsap) return;
    const flags = config.string(last === "SIGINT" ? "shutdown-on-sigint" : "shutdown-on-sigterm")
      .split(" ");
    if (!flags.includes("now")) {
      // Lagging replicas first (their acknowledgements must still be read).
      saving = true;
      const go = await server.waitForLaggingReplicas().finally(() => {
        saving = false;
      });
      if (!go) return;
    }
    const release = server.holdClients();
    saving = true;
    let ok: boolean;
    try {
      ok = await persistence.prepareShutdownInSlices({
        save: flags.includes("save") ? true : flags.includes("nosave") ? false : undefined,
        force: flags.includes("force"),
      });
    } finally {
      saving = false;
      persistence.shutdownAsap = false;
    }
    if (ok) server.shutdown();
    else release();
  };
  const listeners = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const listener = () => {
      if (signal === "SIGINT" && persistence.shutdownAsap) {
        log.warning("You insist... exiting now.");
        try {
          Deno.removeSync(`${fsPath(config.string("dir"))}/temp-${Deno.pid}.rdb`);
        } catch { /* no snapshot being written */ }
        Deno.exit(1);
      }
      log.warning(`Received ${signal} scheduling shutdown...`);
      if (saving) return;
      persistence.shutdownAsap = true;
      last = signal;
      tick ??= setInterval(shutdown, 1000 / config.number("hz"));
    };
    Deno.addSignalListener(signal, listener);
    return () => Deno.removeSignalListener(signal, listener);
  });
  return {
    remove() {
      clearInterval(tick);
      for (const remove of listeners) remove();
    },
  };
}

/** The start-up banner: version, mode, port and pid, one per line. */
function banner(port: number): string {
  return [
    "",
    `    Redeno ${REDENO_VERSION} (Redis ${REDIS_VERSION} compatible), deno ${Deno.version.deno}`,
    "    Running in standalone mode",
    `    Port: ${port}`,
    `    PID: ${Deno.pid}`,
    "",
    "",
  ].join("\n");
}

/**
 * Writes our pid to `path` (relative to `dir`, like Redis) when the pidfile directive
 * is set; answers the absolute path to remove at shutdown, or null. A file that can't
 * be written is a warning, not a reason to stop.
 */
function writePidFile(path: string, log: Logger): string | null {
  if (path === "") return null;
  try {
    Deno.writeTextFileSync(path, `${Deno.pid}\n`);
    return Deno.realPathSync(path);
  } catch (error) {
    log.warning(`Failed to write PID file: ${(error as Error).message}`);
    return null;
  }
}

/** Removes the pid file writePidFile wrote, if any (`quiet`: without a log line). */
function removePidFile(path: string | null, log: Logger, quiet = false): void {
  if (path === null) return;
  if (!quiet) log.notice("Removing the pid file.");
  try {
    Deno.removeSync(path);
  } catch { /* already gone */ }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
