// INFO [section ...]: the server's state as "field:value" lines grouped in
// "# Section" blocks, with Redis 7.0's section names, field names and grouping.

import { REDENO_VERSION, REDIS_VERSION } from "../version.ts";
import type { MemoryFigures, ServerApi, Session } from "./context.ts";
import type { CommandSpec } from "./context.ts";
import { migrateCachedSockets } from "./migrate.ts";

type Lines = [string, string | number][];

/** One INFO section: its header, whether plain INFO shows it, and its fields. */
interface Section {
  name: string;
  title: string;
  inDefault: boolean;
  fields(server: ServerApi): Lines;
}

/** uname's system names for Deno's OS names. */
const OS_NAMES: Record<string, string> = { linux: "Linux", darwin: "Darwin", windows: "Windows" };

/** Forgets the memory peak (CONFIG RESETSTAT). */
export function resetInfoPeaks(server: ServerApi): void {
  server.memory.resetPeak();
}

/**
 * The figures INFO memory reports, in bytes, for MEMORY STATS: used_memory and its
 * parts (the server's estimate, see src/server/used_memory.ts) and V8's process
 * figures (RSS, heap).
 */
export function memoryFigures(server: ServerApi): MemoryFigures & {
  rss: number;
  allocated: number;
  active: number;
} {
  const m = Deno.memoryUsage();
  return { ...server.memory.figures(), rss: m.rss, allocated: m.heapUsed, active: m.heapTotal };
}

/** Bytes the way Redis prints them for humans: "1.13M", "832B". */
export function bytesToHuman(n: number): string {
  const units = ["K", "M", "G", "T", "P"];
  if (n < 1024) return `${n}B`;
  let value = n / 1024;
  for (const unit of units) {
    if (value < 1024 || unit === "P") return `${value.toFixed(2)}${unit}`;
    value /= 1024;
  }
  return `${n}B`;
}

// Never fails: permissions or platforms may deny what we ask Deno for.
function attempt<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

function configValue(server: ServerApi, name: string, fallback: string): string {
  return server.config.get(name) ?? fallback;
}

function configNumber(server: ServerApi, name: string, fallback: number): number {
  const text = server.config.get(name);
  if (text === undefined) return fallback;
  const n = server.config.number(name);
  return Number.isFinite(n) ? n : fallback;
}

function serverSection(server: ServerApi): Lines {
  const now = Date.now();
  const uptime = Math.floor((now - server.startedAt) / 1000);
  const sysname = OS_NAMES[Deno.build.os] ?? Deno.build.os;
  const release = attempt(() => Deno.osRelease(), "unknown");
  const hz = configNumber(server, "hz", 10);
  return [
    ["redis_version", REDIS_VERSION],
    ["redis_git_sha1", "00000000"],
    ["redis_git_dirty", 0],
    ["redis_build_id", "0"],
    ["redis_mode", "standalone"],
    ["os", `${sysname} ${release} ${Deno.build.arch}`],
    ["arch_bits", 64],
    ["monotonic_clock", "POSIX clock_gettime"],
    ["multiplexing_api", Deno.build.os === "linux" ? "epoll" : "kqueue"],
    ["atomicvar_api", "c11-builtin"],
    ["gcc_version", "0.0.0"],
    ["process_id", Deno.pid],
    ["process_supervised", "no"],
    ["run_id", server.runId],
    ["tcp_port", server.port],
    ["server_time_usec", Math.round((performance.timeOrigin + performance.now()) * 1000)],
    ["uptime_in_seconds", uptime],
    ["uptime_in_days", Math.floor(uptime / 86400)],
    ["hz", hz],
    ["configured_hz", hz],
    ["lru_clock", Math.floor(now / 1000) & 0xffffff],
    ["executable", attempt(() => Deno.execPath(), "")],
    ["config_file", server.configFile],
    ["io_threads_active", 0],
    // Only while a shutdown waits for lagging replicas, as in Redis.
    ...(server.shutdownDeadline !== 0
      ? [
        ["shutdown_in_milliseconds", Math.max(0, server.shutdownDeadline - now)] as [
          string,
          number,
        ],
      ]
      : []),
    ["redeno_version", REDENO_VERSION],
  ];
}

function clientsSection(server: ServerApi): Lines {
  let connected = 0, maxInput = 0, maxOutput = 0;
  for (const session of server.sessions()) {
    // Replicas are not counted, as in Redis (the link to a master is).
    if (session.replica === null) connected++;
    const f = session.facts;
    maxInput = Math.max(maxInput, f.queryBuffer + f.queryBufferFree);
    maxOutput = Math.max(maxOutput, f.outputBuffer);
  }
  return [
    ["connected_clients", connected],
    ["cluster_connections", 0],
    ["maxclients", configNumber(server, "maxclients", 10000)],
    ["client_recent_max_input_buffer", maxInput],
    ["client_recent_max_output_buffer", maxOutput],
    ["blocked_clients", server.blockedClients],
    ["tracking_clients", server.tracking.clients],
    ["clients_in_timeout_table", 0],
  ];
}

function ratio(a: number, b: number): string {
  return b === 0 ? "0.00" : (a / b).toFixed(2);
}

function percent(a: number, b: number): string {
  return b === 0 ? "0.00%" : `${(a * 100 / b).toFixed(2)}%`;
}

function memorySection(server: ServerApi): Lines {
  const m = memoryFigures(server);
  const { used, peak, dataset, overhead, startup } = m;
  const allocated = m.allocated;
  const active = m.active;
  const vmEval = server.scripting.memory("eval");
  const vmFunctions = server.scripting.memory("functions");
  const resident = m.rss;
  const totalSystem = attempt(() => Deno.systemMemoryInfo().total, 0);
  const maxmemory = configNumber(server, "maxmemory", 0);
  return [
    ["used_memory", used],
    ["used_memory_human", bytesToHuman(used)],
    ["used_memory_rss", m.rss],
    ["used_memory_rss_human", bytesToHuman(m.rss)],
    ["used_memory_peak", peak],
    ["used_memory_peak_human", bytesToHuman(peak)],
    ["used_memory_peak_perc", percent(used, peak)],
    ["used_memory_overhead", overhead],
    ["used_memory_startup", startup],
    ["used_memory_dataset", dataset],
    ["used_memory_dataset_perc", percent(dataset, used - startup)],
    ["allocator_allocated", allocated],
    ["allocator_active", active],
    ["allocator_resident", resident],
    ["total_system_memory", totalSystem],
    ["total_system_memory_human", bytesToHuman(totalSystem)],
    ["used_memory_lua", vmEval],
    ["used_memory_vm_eval", vmEval],
    ["used_memory_lua_human", bytesToHuman(vmEval)],
    ["used_memory_scripts_eval", server.scripts.memory],
    ["number_of_cached_scripts", server.scripts.count],
    ["number_of_functions", server.functions.functionCount],
    ["number_of_libraries", server.functions.libraryCount],
    ["used_memory_vm_functions", vmFunctions],
    ["used_memory_vm_total", vmEval + vmFunctions],
    ["used_memory_vm_total_human", bytesToHuman(vmEval + vmFunctions)],
    ["used_memory_functions", server.functions.memory],
    ["used_memory_scripts", server.scripts.memory + server.functions.memory],
    ["used_memory_scripts_human", bytesToHuman(server.scripts.memory + server.functions.memory)],
    ["maxmemory", maxmemory],
    ["maxmemory_human", bytesToHuman(maxmemory)],
    ["maxmemory_policy", configValue(server, "maxmemory-policy", "noeviction")],
    ["allocator_frag_ratio", ratio(active, allocated)],
    ["allocator_frag_bytes", active - allocated],
    ["allocator_rss_ratio", ratio(resident, active)],
    ["allocator_rss_bytes", resident - active],
    ["rss_overhead_ratio", ratio(m.rss, resident)],
    ["rss_overhead_bytes", m.rss - resident],
    ["mem_fragmentation_ratio", ratio(m.rss, used)],
    ["mem_fragmentation_bytes", m.rss - used],
    ["mem_not_counted_for_evict", m.notCountedForEvict],
    ["mem_replication_backlog", m.backlog],
    ["mem_total_replication_buffers", server.replication.backlog?.memory ?? 0],
    ["mem_clients_slaves", m.replicaClients],
    ["mem_clients_normal", m.clients],
    ["mem_cluster_links", 0],
    ["mem_aof_buffer", 0],
    ["mem_allocator", `v8-${Deno.version.v8}`],
    ["active_defrag_running", 0],
    ["lazyfree_pending_objects", 0],
    ["lazyfreed_objects", server.stats.lazyfreedObjects],
  ];
}

function persistenceSection(server: ServerApi): Lines {
  return server.persistence.info();
}

/** INFO errorstats: error replies counted by their first word. */
function errorstatsSection(server: ServerApi): Lines {
  const lines: Lines = [];
  const prefixes = [...server.stats.errorsByPrefix.keys()].sort();
  for (const prefix of prefixes) {
    lines.push([`errorstat_${prefix}`, `count=${server.stats.errorsByPrefix.get(prefix)}`]);
  }
  return lines;
}

function statsSection(server: ServerApi): Lines {
  const st = server.stats;
  const since = st.evictionExceededSince;
  const exceeded = since === 0 ? 0 : performance.now() - since;
  return [
    ["total_connections_received", st.connectionsReceived],
    ["total_commands_processed", st.commandsProcessed],
    ["instantaneous_ops_per_sec", 0],
    ["total_net_input_bytes", st.netInputBytes],
    ["total_net_output_bytes", st.netOutputBytes],
    ["total_net_repl_input_bytes", server.stats.netReplInputBytes],
    ["total_net_repl_output_bytes", server.stats.netReplOutputBytes],
    ["instantaneous_input_kbps", "0.00"],
    ["instantaneous_output_kbps", "0.00"],
    ["instantaneous_input_repl_kbps", "0.00"],
    ["instantaneous_output_repl_kbps", "0.00"],
    ["rejected_connections", st.rejectedConnections],
    ["sync_full", server.stats.syncFull],
    ["sync_partial_ok", server.stats.syncPartialOk],
    ["sync_partial_err", server.stats.syncPartialErr],
    ["expired_keys", st.expiredKeys],
    ["expired_stale_perc", "0.00"],
    ["expired_time_cap_reached_count", 0],
    ["expire_cycle_cpu_milliseconds", 0],
    ["evicted_keys", st.evictedKeys],
    ["evicted_clients", st.evictedClients],
    ["total_eviction_exceeded_time", Math.floor(st.evictionExceededMs + exceeded)],
    ["current_eviction_exceeded_time", Math.floor(exceeded)],
    ["keyspace_hits", st.keyspaceHits],
    ["keyspace_misses", st.keyspaceMisses],
    ["pubsub_channels", 0],
    ["pubsub_patterns", 0],
    ["pubsubshard_channels", 0],
    ["latest_fork_usec", 0],
    ["total_forks", 0],
    ["migrate_cached_sockets", migrateCachedSockets(server)],
    ["slave_expires_tracked_keys", 0],
    ["active_defrag_hits", 0],
    ["active_defrag_misses", 0],
    ["active_defrag_key_hits", 0],
    ["active_defrag_key_misses", 0],
    ["total_active_defrag_time", 0],
    ["current_active_defrag_time", 0],
    ["tracking_total_keys", server.tracking.totalKeys],
    ["tracking_total_items", server.tracking.totalItems],
    ["tracking_total_prefixes", server.tracking.totalPrefixes],
    ["unexpected_error_replies", 0],
    ["total_error_replies", server.stats.errorReplies],
    ["dump_payload_sanitizations", 0],
    ["total_reads_processed", 0],
    ["total_writes_processed", 0],
    ["io_threaded_reads_processed", 0],
    ["io_threaded_writes_processed", 0],
    ["reply_buffer_shrinks", 0],
    ["reply_buffer_expands", 0],
  ];
}

function replicationSection(server: ServerApi): Lines {
  return server.replication.info();
}

// Seconds with six decimals, from microseconds.
function seconds(usec: number): string {
  return `${Math.floor(usec / 1e6)}.${String(usec % 1e6).padStart(6, "0")}`;
}

// The process's CPU time in microseconds. Deno's own (undeclared) Deno.cpuUsage where
// it exists, else Node's process.cpuUsage: importing node:process at start-up would cost
// 16 ms of it, and the global loads that module on first use only.
const denoCpuUsage = (Deno as { cpuUsage?: () => { user: number; system: number } }).cpuUsage;
function cpuUsage(): { user: number; system: number } {
  return typeof denoCpuUsage === "function" ? denoCpuUsage() : process.cpuUsage();
}

function cpuSection(): Lines {
  const cpu = attempt(cpuUsage, { user: 0, system: 0 });
  return [
    ["used_cpu_sys", seconds(cpu.system)],
    ["used_cpu_user", seconds(cpu.user)],
    ["used_cpu_sys_children", "0.000000"],
    ["used_cpu_user_children", "0.000000"],
    ["used_cpu_sys_main_thread", seconds(cpu.system)],
    ["used_cpu_user_main_thread", seconds(cpu.user)],
  ];
}

function commandstatsSection(server: ServerApi): Lines {
  const lines: Lines = [];
  for (const [name, e] of server.stats.commands) {
    if (e.calls === 0 && e.failed === 0 && e.rejected === 0) continue;
    const perCall = e.calls === 0 ? 0 : e.usec / e.calls;
    lines.push([
      `cmdstat_${name}`,
      `calls=${e.calls},usec=${Math.round(e.usec)},usec_per_call=${perCall.toFixed(2)},` +
      `rejected_calls=${e.rejected},failed_calls=${e.failed}`,
    ]);
  }
  return lines;
}

function keyspaceSection(server: ServerApi): Lines {
  const lines: Lines = [];
  for (const db of server.keyspace.databases) {
    if (db.size === 0) continue;
    lines.push([`db${db.id}`, `keys=${db.size},expires=${db.expires.size},avg_ttl=${db.avgTtl}`]);
  }
  return lines;
}

const none = (): Lines => [];

/** Every section, in the order Redis prints them. */
const SECTIONS: readonly Section[] = [
  { name: "server", title: "Server", inDefault: true, fields: serverSection },
  { name: "clients", title: "Clients", inDefault: true, fields: clientsSection },
  { name: "memory", title: "Memory", inDefault: true, fields: memorySection },
  { name: "persistence", title: "Persistence", inDefault: true, fields: persistenceSection },
  { name: "stats", title: "Stats", inDefault: true, fields: statsSection },
  { name: "replication", title: "Replication", inDefault: true, fields: replicationSection },
  { name: "cpu", title: "CPU", inDefault: true, fields: cpuSection },
  { name: "modules", title: "Modules", inDefault: true, fields: none },
  { name: "commandstats", title: "Commandstats", inDefault: false, fields: commandstatsSection },
  { name: "errorstats", title: "Errorstats", inDefault: true, fields: errorstatsSection },
  {
    name: "latencystats",
    title: "Latencystats",
    inDefault: false,
    fields: (server) => server.latency.infoFields(),
  },
  { name: "cluster", title: "Cluster", inDefault: true, fields: () => [["cluster_enabled", 0]] },
  { name: "keyspace", title: "Keyspace", inDefault: true, fields: keyspaceSection },
];

/**
 * The INFO text for the requested section names (any letter case; "default", "all"
 * and "everything" name groups; unknown names are ignored). Sections come in Redis's
 * order, each line ends in CRLF and a blank line separates sections.
 */
export function infoText(server: ServerApi, requested: readonly string[]): string {
  const wanted = new Set(requested.map((name) => name.toLowerCase()));
  if (wanted.size === 0) wanted.add("default");
  const all = wanted.has("all") || wanted.has("everything");
  const defaults = all || wanted.has("default");
  const parts: string[] = [];
  for (const section of SECTIONS) {
    if (!(all || (defaults && section.inDefault) || wanted.has(section.name))) continue;
    let text = `# ${section.title}\r\n`;
    for (const [field, value] of section.fields(server)) text += `${field}:${value}\r\n`;
    parts.push(text);
  }
  return parts.join("\r\n");
}

/** INFO [section ...] */
function info(s: Session, argv: string[]): void {
  s.reply.verbatim(infoText(s.server, argv.slice(1)));
}

/** The INFO command. */
export const infoCommands: CommandSpec[] = [{
  name: "info",
  arity: -1,
  flags: ["loading", "stale"],
  categories: ["slow", "dangerous"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  summary: "Reports the server's state and statistics, by section.",
  since: "1.0.0",
  complexity: "O(1)",
  tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
  args: [{ name: "section", type: "string", optional: true, multiple: true }],
  handler: info,
}];
