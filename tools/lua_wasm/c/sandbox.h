/*
 * The Lua environment Redis 7.0 gives scripts: which libraries are open, the
 * deterministic math.random, and the read-only globals. See sandbox.c and
 * tools/lua_wasm/REDIS_LUA_DIFFERENCES.md. Needs Lua built with our patches
 * (tools/lua_wasm/patches/lua-*.patch: lua_enablereadonlytable comes from there).
 */
#ifndef REDENO_SANDBOX_H
#define REDENO_SANDBOX_H

#include "lua.h"

/*
 * Opens base (with coroutine), table, string, math, debug, cjson, struct,
 * cmsgpack and bit as globals, leaving out what Redis leaves out: print,
 * dofile, loadfile, getfenv, setfenv, newproxy never reach the globals (io, os
 * and package are not opened). debug stays a global for setup code until
 * redeno_protect_globals removes it. math.random and math.randomseed are
 * replaced by Redis's rand48 generator.
 */
void redeno_open_libs(lua_State *L);

/*
 * Call once everything is in the globals (the `redis` table and
 * `__redis__err__handler` included). Removes the global debug, then makes the
 * globals table, every table reachable from it (KEYS and ARGV excepted), their
 * metatables and the string metatable read-only, and gives the globals a metatable whose __index raises
 * "Script attempted to access nonexistent global variable 'NAME'".
 *
 * Afterwards, code that must still write a global (KEYS and ARGV before each
 * script) lifts the protection around the write:
 *   lua_enablereadonlytable(L, LUA_GLOBALSINDEX, 0);
 *   ... lua_setglobal(L, "KEYS") ...
 *   lua_enablereadonlytable(L, LUA_GLOBALSINDEX, 1);
 */
void redeno_protect_globals(lua_State *L);

/*
 * Puts math.random's generator back to its initial state (as when
 * redis-server starts). Redis 7.0 does NOT reseed it per script: the sequence
 * goes on from one EVAL/FCALL to the next (and math.randomseed in one script
 * changes what the next scripts get), so call this once when the server
 * starts, not before each script (EVAL and FCALL share the one sequence).
 */
void redeno_reset_random(void);

#endif
