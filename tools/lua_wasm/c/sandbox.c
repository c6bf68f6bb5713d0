/*
 * The Lua environment of Redis 7.0 scripts, written from Redis's observed
 * behaviour (tools/lua_wasm/REDIS_LUA_DIFFERENCES.md has the experiments):
 *
 * - the globals are the base library (with coroutine) less print, dofile,
 *   loadfile, getfenv, setfenv and newproxy, plus string, table, math, cjson,
 *   struct, cmsgpack and bit (no io, os, package, require, module; debug only
 *   until the globals are protected);
 * - math.random/math.randomseed use a rand48 generator whose state is
 *   global: it starts like rand48 never seeded and is not reseeded per
 *   script;
 * - after setup every table reachable from the globals is read-only, and
 *   reading a global that does not exist is an error.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

#include "sandbox.h"

int luaopen_cjson(lua_State *L);
int luaopen_struct(lua_State *L);
int luaopen_cmsgpack(lua_State *L);
int luaopen_bit(lua_State *L);

/* ---------------------------------------------------------------------------
 * math.random: the rand48 family (x' = 0x5DEECE66D * x + 0xB mod 2^48, the
 * result is the top 31 bits). Redis's state starts at the rand48 defaults
 * (0x1234ABCD330E), i.e. the state srand48(0x1234ABCD) gives, and is shared
 * by every script run until the server exits.
 * ------------------------------------------------------------------------- */

#define RAND48_MASK ((UINT64_C(1) << 48) - 1)
#define RAND48_INITIAL UINT64_C(0x1234ABCD330E)
#define RAND48_MAX 2147483647 /* INT32_MAX: random() divides by it */

static uint64_t rand48_state = RAND48_INITIAL;

static int32_t rand48_next(void) {
  rand48_state = (UINT64_C(0x5DEECE66D) * rand48_state + 0xB) & RAND48_MASK;
  return (int32_t)(rand48_state >> 17);
}

static void rand48_seed(int32_t seed) {
  rand48_state = ((uint64_t)(uint32_t)seed << 16) | 0x330E;
}

void redeno_reset_random(void) { rand48_state = RAND48_INITIAL; }

/* Lua 5.1's math.random over rand48: same arguments, checks and messages. */
static int math_random(lua_State *L) {
  lua_Number r = (lua_Number)(rand48_next() % RAND48_MAX) / (lua_Number)RAND48_MAX;
  switch (lua_gettop(L)) {
  case 0:
    lua_pushnumber(L, r);
    break;
  case 1: {
    int u = luaL_checkint(L, 1);
    luaL_argcheck(L, 1 <= u, 1, "interval is empty");
    lua_pushnumber(L, floor(r * u) + 1);
    break;
  }
  case 2: {
    int l = luaL_checkint(L, 1);
    int u = luaL_checkint(L, 2);
    int width;
    luaL_argcheck(L, l <= u, 2, "interval is empty");
    /* u - l + 1 in 32-bit arithmetic that wraps, as it does in Redis: for
     * math.random(0, 2^31 - 1) the width is -2^31 and the result negative */
    width = (int)((unsigned int)u - (unsigned int)l + 1u);
    lua_pushnumber(L, floor(r * width) + l);
    break;
  }
  default:
    return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

static int math_randomseed(lua_State *L) {
  rand48_seed((int32_t)luaL_checkint(L, 1));
  return 0;
}

/* ---------------------------------------------------------------------------
 * Libraries
 * ------------------------------------------------------------------------- */

/* The globals a script gets from the base library and the libraries. While
 * the libraries are opened, every other name they try to add (print, dofile,
 * loadfile, getfenv, setfenv, newproxy) is dropped before it reaches the
 * globals table, as Redis does: leaving no trace in it keeps the order of
 * pairs(_G) the same as in Redis. */
static const char *const allowed_globals[] = {
    /* base library */
    "_G", "_VERSION", "assert", "collectgarbage", "error", "gcinfo", "getmetatable",
    "ipairs", "load", "loadstring", "next", "pairs", "pcall", "rawequal", "rawget",
    "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "unpack",
    "xpcall", "coroutine",
    /* libraries */
    LUA_TABLIBNAME, LUA_STRLIBNAME, LUA_MATHLIBNAME, LUA_DBLIBNAME, "cjson", "struct",
    "cmsgpack", "bit", NULL};

static int filter_newindex(lua_State *L) {
  int i;
  if (lua_type(L, 2) == LUA_TSTRING) {
    const char *name = lua_tostring(L, 2);
    for (i = 0; allowed_globals[i] != NULL; i++) {
      if (strcmp(name, allowed_globals[i]) == 0) {
        lua_settop(L, 3);
        lua_rawset(L, 1);
        break;
      }
    }
  }
  return 0;
}

/* Runs a luaopen_* function as lua.c's openlibs does (name as argument). If it
 * returns a table that did not become a global, sets the global NAME to it
 * (luaopen_cjson only does so when built with ENABLE_CJSON_GLOBAL). */
static void open_lib(lua_State *L, const char *name, lua_CFunction open) {
  int top = lua_gettop(L);
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  if (*name != '\0' && lua_istable(L, -1)) {
    lua_getglobal(L, name);
    if (!lua_rawequal(L, -1, -2)) {
      lua_pop(L, 1);
      lua_setglobal(L, name);
    }
  }
  lua_settop(L, top);
}

void redeno_open_libs(lua_State *L) {
  /* drop what is not allowed while the libraries register themselves */
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_newtable(L);
  lua_pushcfunction(L, filter_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, -2);

  open_lib(L, "", luaopen_base); /* _G, base functions, coroutine */
  open_lib(L, LUA_TABLIBNAME, luaopen_table);
  open_lib(L, LUA_STRLIBNAME, luaopen_string);
  open_lib(L, LUA_MATHLIBNAME, luaopen_math);
  /* debug stays a global until redeno_protect_globals (Redis's own setup code
   * uses it, then removes it); scripts never see it. */
  open_lib(L, LUA_DBLIBNAME, luaopen_debug);
  open_lib(L, "cjson", luaopen_cjson);
  open_lib(L, "struct", luaopen_struct);
  open_lib(L, "cmsgpack", luaopen_cmsgpack);
  open_lib(L, "bit", luaopen_bit);

  lua_pushnil(L);
  lua_setmetatable(L, -2);
  lua_pop(L, 1);

  lua_getglobal(L, LUA_MATHLIBNAME);
  lua_pushcfunction(L, math_random);
  lua_setfield(L, -2, "random");
  lua_pushcfunction(L, math_randomseed);
  lua_setfield(L, -2, "randomseed");
  lua_pop(L, 1);
}

/* ---------------------------------------------------------------------------
 * Protection
 * ------------------------------------------------------------------------- */

/* __index of the globals: reading a global that does not exist. The messages
 * (and the checks before them) are Redis's; luaL_error puts the script's
 * position in front ("user_script:1: ..."). */
static int global_index(lua_State *L) {
  if (lua_gettop(L) != 2)
    return luaL_error(L, "Wrong number of arguments to luaProtectedTableError");
  if (!lua_isstring(L, -1) && !lua_isnumber(L, -1))
    return luaL_error(L, "Second argument to luaProtectedTableError must be a string or number");
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                    lua_tostring(L, -1));
}

/* Makes the table at the top of the stack, and every table it holds as a value
 * or metatable, read-only. Tables already read-only are skipped (cycles). */
static void protect_table(lua_State *L, int skip_script_args) {
  int t = lua_gettop(L);
  if (lua_isreadonlytable(L, t)) return;
  lua_enablereadonlytable(L, t, 1);
  luaL_checkstack(L, 4, "protecting the globals");
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {
    if (lua_istable(L, -1)) {
      int skip = 0;
      if (skip_script_args && lua_type(L, -2) == LUA_TSTRING) {
        const char *k = lua_tostring(L, -2);
        skip = strcmp(k, "KEYS") == 0 || strcmp(k, "ARGV") == 0;
      }
      if (!skip) protect_table(L, 0);
    }
    lua_pop(L, 1);
  }
  if (lua_getmetatable(L, t)) {
    protect_table(L, 0);
    lua_pop(L, 1);
  }
}

void redeno_protect_globals(lua_State *L) {
  int top = lua_gettop(L);

  /* debug was left for setup code (C code still finds it in the registry's
   * _LOADED.debug). */
  lua_pushnil(L);
  lua_setglobal(L, LUA_DBLIBNAME);

  /* The globals get a metatable whose __index raises the error above. */
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_newtable(L);
  lua_pushcfunction(L, global_index);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);

  /* The globals, the libraries (and everything else reachable), their
   * metatables. KEYS and ARGV stay writable: scripts may change them. */
  protect_table(L, 1);
  lua_settop(L, top);

  /* The metatable that all strings share (its __index is `string`). */
  lua_pushliteral(L, "");
  if (lua_getmetatable(L, -1)) protect_table(L, 0);
  lua_settop(L, top);
}
