/*
 * Redeno's side of the Lua VM: what the server calls (exports) and what the VM calls
 * back (imports from the "redeno" module).
 *
 * Data crosses in one exchange buffer: arguments as [count][len bytes]..., command
 * replies as RESP. A script's result goes to the client through `reply_*` imports,
 * so the server's reply writer stays the one place that writes RESP to clients.
 *
 * Two Lua states exist: 0 runs EVAL scripts, 1 runs FUNCTION libraries.
 */
#include "bridge.h"

/* ------------------------------------------------------------------------------ */
/* The exchange buffer */

char *xbuf;
static uint32_t xcap;
uint32_t xlen;

EXPORT(rd_reserve) char *rd_reserve(uint32_t size) {
  if (size > xcap) {
    uint32_t cap = xcap == 0 ? 4096 : xcap;
    while (cap < size) cap *= 2;
    char *grown = realloc(xbuf, cap);
    if (grown == NULL) return NULL;
    xbuf = grown;
    xcap = cap;
  }
  return xbuf;
}

/* Length of the text an export left in the exchange buffer (an error message). */
EXPORT(rd_text_length) uint32_t rd_text_length(void) { return xlen; }

/* The server put a text of this length in the exchange buffer (an import's answer). */
EXPORT(rd_set_text_length) void rd_set_text_length(uint32_t len) { xlen = len; }

void set_text(const char *text, size_t len) {
  if (rd_reserve(len + 1) == NULL) len = 0;
  memcpy(xbuf, text, len);
  xlen = len;
}

/* ------------------------------------------------------------------------------ */
/* States */

lua_State *states[2];
int state_resp[2] = {2, 2};        /* redis.setresp, per run */
int state_can_yield[2];
int state_loading[2];             /* a FUNCTION library is being loaded */

int running_index(lua_State *L) {
  return L == states[STATE_FUNCTIONS] ? STATE_FUNCTIONS : STATE_EVAL;
}

/* Raises {err = "ERR <message>"}, which pcall turns back into the string. */
int raise_error(lua_State *L, const char *message) {
  lua_newtable(L);
  lua_pushliteral(L, "err");
  lua_pushfstring(L, "ERR %s", message);
  lua_rawset(L, -3);
  return lua_error(L);
}

/* Pushes {err = "ERR <message>"} as a result. */
int return_error(lua_State *L, const char *message) {
  lua_newtable(L);
  lua_pushliteral(L, "err");
  lua_pushfstring(L, "ERR %s", message);
  lua_rawset(L, -3);
  return 1;
}

/* ------------------------------------------------------------------------------ */
/* Errors: the handler every run goes through, turning an error into
 * {err = text, source = chunk, line = n} */

static int error_handler(lua_State *L) {
  const char *source = "?";
  int line = -1;
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline >= 0) {
      source = ar.source;
      line = ar.currentline;
      break;
    }
  }
  int type = lua_type(L, 1);
  lua_newtable(L);
  lua_pushliteral(L, "err");
  if (type == LUA_TTABLE) {
    lua_pushliteral(L, "err");
    lua_rawget(L, 1);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_pushliteral(L, "ERR unknown error");
    } else if (lua_type(L, -1) == LUA_TNUMBER) {
      lua_tostring(L, -1);
    }
  } else if (type == LUA_TSTRING || type == LUA_TNUMBER) {
    lua_pushliteral(L, "ERR ");
    lua_pushvalue(L, 1);
    lua_concat(L, 2);
  } else if (type == LUA_TBOOLEAN) {
    lua_pushstring(L, lua_toboolean(L, 1) ? "ERR true" : "ERR false");
  } else {
    lua_pushliteral(L, "ERR nil");
  }
  lua_rawset(L, -3);
  lua_pushliteral(L, "source");
  lua_pushstring(L, source);
  lua_rawset(L, -3);
  lua_pushliteral(L, "line");
  lua_pushnumber(L, line);
  lua_rawset(L, -3);
  if (type == LUA_TTABLE) {
    lua_pushliteral(L, IGNORE_STATS);
    lua_pushliteral(L, IGNORE_STATS);
    lua_rawget(L, 1);
    lua_rawset(L, -3);
  }
  return 1;
}

/* After a failed lua_pcall with error_handler: report the error table (or a bare
 * message, when the handler could not run: out of memory) to the server. */
static void report_error(lua_State *L) {
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "err");
    lua_getfield(L, -2, "source");
    lua_getfield(L, -3, "line");
    lua_getfield(L, -4, IGNORE_STATS);
    size_t len;
    const char *text = lua_tolstring(L, -4, &len);
    const char *source = lua_tostring(L, -3);
    int line = (int)lua_tonumber(L, -2);
    int counted = lua_toboolean(L, -1);
    reply_script_error(text != NULL ? text : "ERR unknown error", text != NULL ? (int32_t)len : 17,
                       source != NULL ? source : "?", line, counted);
    lua_pop(L, 5);
    return;
  }
  size_t len;
  const char *text = lua_tolstring(L, -1, &len);
  if (text == NULL) {
    text = "unknown error";
    len = strlen(text);
  }
  lua_pushliteral(L, "ERR ");
  lua_pushlstring(L, text, len);
  lua_concat(L, 2);
  text = lua_tolstring(L, -1, &len);
  reply_script_error(text, (int32_t)len, "?", -1, 0);
  lua_pop(L, 2);
}

/* ------------------------------------------------------------------------------ */
/* The busy-script hook */

void busy_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  int32_t what = js_tick();
  if (what == 1 && state_can_yield[running_index(L)]) js_yield();
  if (what == 2) {
    /* SCRIPT KILL / FUNCTION KILL: the text is left in the exchange buffer. */
    lua_sethook(L, busy_hook, LUA_MASKLINE, 0);
    lua_newtable(L);
    lua_pushliteral(L, "err");
    lua_pushlstring(L, xbuf, xlen);
    lua_rawset(L, -3);
    lua_error(L);
  }
}

/* ------------------------------------------------------------------------------ */
/* Exports */

static void open_state(int index) {
  /* math.random's sequence starts over only when the server starts, as in Redis 7.0. */
  static int random_started;
  if (!random_started) {
    redeno_reset_random();
    random_started = 1;
  }
  lua_State *L = luaL_newstate();
  states[index] = L;
  redeno_open_libs(L);
  lua_pushcfunction(L, redis_aware_pcall);
  lua_setglobal(L, "pcall");
  push_redis_table(L);
  lua_setglobal(L, "redis");
  lua_pushcfunction(L, error_handler);
  lua_setglobal(L, "__redis__err__handler");
  if (index == STATE_EVAL) {
    lua_newtable(L);
    lua_setglobal(L, "KEYS");
    lua_newtable(L);
    lua_setglobal(L, "ARGV");
  }
  redeno_protect_globals(L);
}

/* Creates (or, after SCRIPT FLUSH / FUNCTION FLUSH, re-creates) a state. */
EXPORT(rd_open) int32_t rd_open(int32_t index) {
  if (states[index] != NULL) lua_close(states[index]);
  if (index == STATE_FUNCTIONS) forget_loading_env();
  open_state(index);
  return 0;
}

/* Compiles the code in the exchange buffer (chunk name first: [name length][name][code])
 * and keeps the function; returns its reference, or 0 with the error text left in the
 * exchange buffer. */
EXPORT(rd_compile) int32_t rd_compile(int32_t index, uint32_t name_len, uint32_t code_len) {
  lua_State *L = states[index];
  char name[64];
  if (name_len >= sizeof name) name_len = sizeof name - 1;
  memcpy(name, xbuf, name_len);
  name[name_len] = 0;
  int status = luaL_loadbuffer(L, xbuf + name_len, code_len, name);
  if (status != 0) {
    size_t len;
    const char *text = lua_tolstring(L, -1, &len);
    if (text == NULL) text = "unknown error";
    set_text(text, len);
    lua_pop(L, 1);
    return 0;
  }
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Forgets a compiled function. */
EXPORT(rd_release) void rd_release(int32_t index, int32_t ref) {
  luaL_unref(states[index], LUA_REGISTRYINDEX, ref);
}

/* Reads [count][len bytes]... from the exchange buffer into a new table. */
static const char *push_string_array(lua_State *L, const char *p, uint32_t count) {
  lua_createtable(L, (int)count, 0);
  for (uint32_t i = 0; i < count; i++) {
    uint32_t len;
    memcpy(&len, p, 4);
    lua_pushlstring(L, p + 4, len);
    lua_rawseti(L, -2, (int)(i + 1));
    p += 4 + len;
  }
  return p;
}

static void set_readonly_global(lua_State *L, const char *name) {
  lua_enablereadonlytable(L, LUA_GLOBALSINDEX, 0);
  lua_setglobal(L, name);
  lua_enablereadonlytable(L, LUA_GLOBALSINDEX, 1);
}

/*
 * Runs a compiled function and sends its result to the client (or reports its error).
 * The exchange buffer holds the keys and then the arguments, each as [count][len bytes]...
 * EVAL scripts get them as the globals KEYS and ARGV; functions as their two
 * parameters. Returns 0 when the script succeeded, 1 when it failed.
 */
/* How the last run ended: -1 while it runs (or if it trapped), else rd_run's result. */
static int32_t last_status = -1;

EXPORT(rd_last_status) int32_t rd_last_status(void) { return last_status; }

/* A little garbage collection every so many runs keeps Lua from a long full cycle. */
#define GC_STEP_EVERY 50

EXPORT(rd_run) int32_t rd_run(int32_t index, int32_t ref, int32_t can_yield) {
  static int runs;
  lua_State *L = states[index];
  last_status = -1;
  state_resp[index] = 2;
  state_can_yield[index] = can_yield;
  lua_settop(L, 0);
  lua_getglobal(L, "__redis__err__handler");
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  uint32_t count;
  const char *p = xbuf;
  memcpy(&count, p, 4);
  p = push_string_array(L, p + 4, count);
  memcpy(&count, p, 4);
  push_string_array(L, p + 4, count);
  int argc = 2;
  if (index == STATE_EVAL) {
    set_readonly_global(L, "ARGV");
    set_readonly_global(L, "KEYS");
    argc = 0;
  }
  lua_sethook(L, busy_hook, LUA_MASKCOUNT, HOOK_EVERY);
  int status = lua_pcall(L, argc, 1, 1);
  lua_sethook(L, NULL, 0, 0);
  if (status != 0) {
    report_error(L);
    lua_settop(L, 0);
    return last_status = 1;
  }
  emit_value(L, state_resp[index], 0);
  lua_settop(L, 0);
  if (++runs % GC_STEP_EVERY == 0) lua_gc(L, LUA_GCSTEP, 1);
  return last_status = 0;
}

/* Memory the state uses, in bytes (INFO used_memory_lua / used_memory_vm_functions). */
EXPORT(rd_memory) double rd_memory(int32_t index) {
  lua_State *L = states[index];
  if (L == NULL) return 0;
  return (double)lua_gc(L, LUA_GCCOUNT, 0) * 1024.0 + lua_gc(L, LUA_GCCOUNTB, 0);
}

