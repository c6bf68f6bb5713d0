// The fields of INFO persistence, in Redis 7.0's order, from the parts of the
// persistence manager (what is loading, the RDB saves, the AOF).

import type { AppendOnlyFile } from "./append_only_file.ts";
import type { DatasetLoader, TransferLoad } from "./dataset_loader.ts";
import type { RdbSaves } from "./rdb_saves.ts";

/** The fields of INFO persistence; `dirty`: writes since the last save. */
export function persistenceInfo(
  dirty: number,
  parts: { loader: DatasetLoader; saves: RdbSaves; aof: AppendOnlyFile },
): [string, string | number][] {
  const { loader, saves, aof } = parts;
  const now = Date.now();
  const aofOn = aof.aofState !== "off";
  const transfer = loader.transferLoad;
  const fields: [string, string | number][] = [
    ["loading", loader.loading || transfer?.async === false ? 1 : 0],
    ["async_loading", transfer?.async ? 1 : 0],
    ...(transfer === null ? [] : transferLoadInfo(transfer, now)),
    ["current_cow_peak", 0],
    ["current_cow_size", 0],
    ["current_cow_size_age", 0],
    ["current_fork_perc", "0.00"],
    ["current_save_keys_processed", 0],
    ["current_save_keys_total", 0],
    ["rdb_changes_since_last_save", dirty],
    ["rdb_bgsave_in_progress", saves.bgsave !== null ? 1 : 0],
    ["rdb_last_save_time", Math.floor(saves.lastSave / 1000)],
    ["rdb_last_bgsave_status", saves.lastBgsaveOk ? "ok" : "err"],
    ["rdb_last_bgsave_time_sec", saves.lastBgsaveSeconds],
    [
      "rdb_current_bgsave_time_sec",
      saves.bgsave !== null ? Math.floor((now - saves.bgsave.started) / 1000) : -1,
    ],
    ["rdb_saves", saves.rdbSaves],
    ["rdb_last_cow_size", 0],
    ["rdb_last_load_keys_expired", loader.loadedExpired],
    ["rdb_last_load_keys_loaded", loader.loadedKeys],
    ["aof_enabled", aofOn ? 1 : 0],
    ["aof_rewrite_in_progress", aof.rewrite !== null ? 1 : 0],
    ["aof_rewrite_scheduled", aof.rewriteScheduled ? 1 : 0],
    ["aof_last_rewrite_time_sec", aof.lastRewriteSeconds],
    [
      "aof_current_rewrite_time_sec",
      aof.rewrite !== null ? Math.floor((now - aof.rewrite.started) / 1000) : -1,
    ],
    ["aof_last_bgrewrite_status", aof.lastRewriteOk ? "ok" : "err"],
    ["aof_rewrites", aof.rewrites],
    ["aof_rewrites_consecutive_failures", aof.rewriteFailures],
    ["aof_last_write_status", aof.aofWriteOk ? "ok" : "err"],
    ["aof_last_cow_size", 0],
    ["module_fork_in_progress", 0],
    ["module_fork_last_cow_size", 0],
  ];
  if (aofOn) {
    fields.push(
      ["aof_current_size", aof.currentSize()],
      ["aof_base_size", aof.baseSize],
      ["aof_pending_rewrite", aof.rewriteScheduled ? 1 : 0],
      ["aof_buffer_length", aof.writer?.pending ?? 0],
      ["aof_pending_bio_fsync", 0],
      ["aof_delayed_fsync", 0],
    );
  }
  return fields;
}

// INFO persistence's loading_* fields for a snapshot being loaded as it arrives. The
// share done is of the size when the master told it, else of the used-mem the snapshot
// records; the time left assumes the rate so far goes on.
function transferLoadInfo(load: TransferLoad, now: number): [string, string | number][] {
  const whole = load.total > 0 ? load.total : load.usedMem;
  const share = whole > 0 ? load.loaded / whole : 0;
  const elapsed = (now - load.started) / 1000;
  const rate = elapsed > 0 ? load.loaded / elapsed : 0;
  const eta = rate > 0 && whole > load.loaded ? Math.floor((whole - load.loaded) / rate) : 1;
  return [
    ["loading_start_time", Math.floor(load.started / 1000)],
    ["loading_total_bytes", load.total],
    ["loading_rdb_used_mem", load.usedMem],
    ["loading_loaded_bytes", load.loaded],
    ["loading_loaded_perc", (share * 100).toFixed(2)],
    ["loading_eta_seconds", eta],
  ];
}
