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

#include "lstate.h" /* G(L) and nCcalls: which state a thread belongs to, can it yield */

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

/* The coroutine each state runs its scripts in (YIELD_COROUTINE), and its registry
 * reference; a thread that failed is dead and is replaced. */
static lua_State *run_threads[2];
static int run_thread_refs[2] = {LUA_NOREF, LUA_NOREF};

/* Anchored in each state's registry once, so that a run looks nothing up by name: the
 * error handler, and the strings "KEYS" and "ARGV". */
static int handler_refs[2];
static int keys_name_refs[2];
static int argv_name_refs[2];

int running_index(lua_State *L) {
  /* A coroutine shares its state's global part. */
  return states[STATE_FUNCTIONS] != NULL && G(L) == G(states[STATE_FUNCTIONS]) ? STATE_FUNCTIONS
                                                                               : STATE_EVAL;
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

/* Pushes on L the error table for the error value at `value` (an index on L), with the
 * chunk and line of the innermost Lua function of `stack` from `level` up. */
static void push_error_table(lua_State *L, int value, lua_State *stack, int level) {
  const char *source = "?";
  int line = -1;
  lua_Debug ar;
  for (; lua_getstack(stack, level, &ar); level++) {
    lua_getinfo(stack, "Sl", &ar);
    if (ar.currentline >= 0) {
      source = ar.source;
      line = ar.currentline;
      break;
    }
  }
  int type = lua_type(L, value);
  lua_newtable(L);
  lua_pushliteral(L, "err");
  if (type == LUA_TTABLE) {
    lua_pushliteral(L, "err");
    lua_rawget(L, value);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_pushliteral(L, "ERR unknown error");
    } else if (lua_type(L, -1) == LUA_TNUMBER) {
      lua_tostring(L, -1);
    }
  } else if (type == LUA_TSTRING || type == LUA_TNUMBER) {
    lua_pushliteral(L, "ERR ");
    lua_pushvalue(L, value);
    lua_concat(L, 2);
  } else if (type == LUA_TBOOLEAN) {
    lua_pushstring(L, lua_toboolean(L, value) ? "ERR true" : "ERR false");
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
    lua_rawget(L, value);
    lua_rawset(L, -3);
  }
}

static int error_handler(lua_State *L) {
  /* Level 0 is this handler; the error was raised at level 1. */
  push_error_table(L, 1, L, 1);
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
  if (what == 1) {
    int index = running_index(L);
    if (state_can_yield[index] == YIELD_STACK) js_yield();
    /* A hook may yield its coroutine only where no C function (pcall, a metamethod,
     * a sort comparator...) lies between it and the resume; the server sends scripts
     * that could loop there to YIELD_STACK. Here the next check tries again. */
    else if (state_can_yield[index] == YIELD_COROUTINE && L == run_threads[index] &&
             L->nCcalls == L->baseCcalls) {
      lua_yield(L, 0);
      return;
    }
  }
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
  lua_pushvalue(L, -1);
  handler_refs[index] = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_setglobal(L, "__redis__err__handler");
  lua_pushliteral(L, "KEYS");
  keys_name_refs[index] = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushliteral(L, "ARGV");
  argv_name_refs[index] = luaL_ref(L, LUA_REGISTRYINDEX);
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
  run_threads[index] = NULL;
  run_thread_refs[index] = LUA_NOREF;
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

/* Sets the global named by the string at registry[name_ref] to the value at the top. */
static void set_readonly_global(lua_State *L, int name_ref) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, name_ref);
  lua_insert(L, -2);
  lua_enablereadonlytable(L, LUA_GLOBALSINDEX, 0);
  lua_rawset(L, LUA_GLOBALSINDEX);
  lua_enablereadonlytable(L, LUA_GLOBALSINDEX, 1);
}

/* How the last run ended: -1 while it runs (or if it trapped), else rd_run's result. */
static int32_t last_status = -1;

EXPORT(rd_last_status) int32_t rd_last_status(void) { return last_status; }

/* A little garbage collection every so many runs keeps Lua from a long full cycle. */
#define GC_STEP_EVERY 50

/* Pushes the function `ref` and its inputs on L; returns how many arguments it takes.
 * The exchange buffer holds the keys and then the arguments, each as
 * [count][len bytes]...: EVAL scripts get them as the globals KEYS and ARGV, functions
 * as their two parameters. */
static int push_call(lua_State *L, int32_t index, int32_t ref) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  uint32_t count;
  const char *p = xbuf;
  memcpy(&count, p, 4);
  p = push_string_array(L, p + 4, count);
  memcpy(&count, p, 4);
  push_string_array(L, p + 4, count);
  if (index == STATE_EVAL) {
    set_readonly_global(L, argv_name_refs[STATE_EVAL]);
    set_readonly_global(L, keys_name_refs[STATE_EVAL]);
    return 0;
  }
  return 2;
}

/* The result at the top of L goes to the client. */
static int32_t succeeded(lua_State *L, int32_t index) {
  static int runs;
  emit_value(L, state_resp[index], 0);
  lua_settop(L, 0);
  if (++runs % GC_STEP_EVERY == 0) lua_gc(L, LUA_GCSTEP, 1);
  return last_status = 0;
}

/* Where a coroutine run stands after lua_resume returned `status`: 0 or 1 when it
 * ended (as rd_run), RUN_SUSPENDED when it yielded. */
static int32_t after_resume(int32_t index, int status) {
  lua_State *L = states[index];
  lua_State *co = run_threads[index];
  if (status == LUA_YIELD) return RUN_SUSPENDED;
  lua_sethook(co, NULL, 0, 0);
  if (status != 0) {
    /* A dead coroutine keeps its stack: the error is described from there, and the
     * thread is replaced before the next run. */
    lua_settop(L, 0);
    lua_xmove(co, L, 1);
    push_error_table(L, 1, co, 0);
    luaL_unref(L, LUA_REGISTRYINDEX, run_thread_refs[index]);
    run_threads[index] = NULL;
    run_thread_refs[index] = LUA_NOREF;
    report_error(L);
    lua_settop(L, 0);
    return last_status = 1;
  }
  /* The first of the results (a chunk's `return a, b` gives a). */
  lua_settop(L, 0);
  if (lua_gettop(co) == 0) lua_pushnil(L);
  else {
    lua_settop(co, 1);
    lua_xmove(co, L, 1);
  }
  return succeeded(L, index);
}

/*
 * Runs a compiled function and sends its result to the client (or reports its error).
 * `yield` says how a script past the busy threshold lets other clients in: not at all
 * (YIELD_NONE), by suspending the whole WebAssembly stack through JSPI (YIELD_STACK:
 * this export is then called through WebAssembly.promising), or by yielding the
 * coroutine it runs in (YIELD_COROUTINE), which needs no JSPI and costs a plain call.
 * Returns 0 when the script succeeded, 1 when it failed, RUN_SUSPENDED when its
 * coroutine yielded: rd_resume goes on.
 */
EXPORT(rd_run) int32_t rd_run(int32_t index, int32_t ref, int32_t yield) {
  lua_State *L = states[index];
  last_status = -1;
  state_resp[index] = 2;
  state_can_yield[index] = yield;
  lua_settop(L, 0);
  if (yield == YIELD_COROUTINE) {
    lua_State *co = run_threads[index];
    if (co == NULL) {
      co = lua_newthread(L);
      run_thread_refs[index] = luaL_ref(L, LUA_REGISTRYINDEX);
      run_threads[index] = co;
    }
    int argc = push_call(co, index, ref);
    lua_sethook(co, busy_hook, LUA_MASKCOUNT, HOOK_EVERY);
    return after_resume(index, lua_resume(co, argc));
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, handler_refs[index]);
  int argc = push_call(L, index, ref);
  lua_sethook(L, busy_hook, LUA_MASKCOUNT, HOOK_EVERY);
  int status = lua_pcall(L, argc, 1, 1);
  lua_sethook(L, NULL, 0, 0);
  if (status != 0) {
    report_error(L);
    lua_settop(L, 0);
    return last_status = 1;
  }
  return succeeded(L, index);
}

/* Goes on with a run whose coroutine yielded (rd_run returned RUN_SUSPENDED). */
EXPORT(rd_resume) int32_t rd_resume(int32_t index) {
  return after_resume(index, lua_resume(run_threads[index], 0));
}

/* Memory the state uses, in bytes (INFO used_memory_lua / used_memory_vm_functions). */
EXPORT(rd_memory) double rd_memory(int32_t index) {
  lua_State *L = states[index];
  if (L == NULL) return 0;
  return (double)lua_gc(L, LUA_GCCOUNT, 0) * 1024.0 + lua_gc(L, LUA_GCCOUNTB, 0);
}

