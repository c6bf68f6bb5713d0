/*
 * The `redis` table scripts call (call, pcall, log, sha1hex, error_reply, ...), and the
 * pcall Redis gives scripts, which turns an error table back into its text.
 */
#include "bridge.h"

/* ------------------------------------------------------------------------------ */
/* Lua arguments to the exchange buffer */

/* Numbers become text as Redis prints them (%.17g), so 0.1 is 0.10000000000000001. */
static const char *number_text(lua_Number n, char *out, size_t size, size_t *len) {
  int written;
  if (isnan(n)) written = snprintf(out, size, "%s", "-nan");
  else written = snprintf(out, size, "%.17g", (double)n);
  *len = (size_t)written;
  return out;
}

/* Writes the call's arguments (stack 1..argc) to the exchange buffer; an error text
 * when one is not a string or a number. */
static const char *pack_arguments(lua_State *L, int argc) {
  if (argc == 0) return "Please specify at least one argument for this redis lib call";
  size_t total = 4;
  for (int i = 1; i <= argc; i++) {
    int type = lua_type(L, i);
    if (type == LUA_TSTRING) total += 4 + lua_objlen(L, i);
    else if (type == LUA_TNUMBER) total += 4 + 32;
    else return "Lua redis lib command arguments must be strings or integers";
  }
  if (rd_reserve(total) == NULL) return "Out of memory";
  char *p = xbuf;
  uint32_t count = (uint32_t)argc;
  memcpy(p, &count, 4);
  p += 4;
  for (int i = 1; i <= argc; i++) {
    size_t len;
    const char *text;
    char number[40];
    if (lua_type(L, i) == LUA_TNUMBER) text = number_text(lua_tonumber(L, i), number, sizeof number, &len);
    else text = lua_tolstring(L, i, &len);
    uint32_t len32 = (uint32_t)len;
    memcpy(p, &len32, 4);
    memcpy(p + 4, text, len);
    p += 4 + len;
  }
  xlen = (uint32_t)(p - xbuf);
  return NULL;
}

/* ------------------------------------------------------------------------------ */
/* The redis table */

static int redis_call_generic(lua_State *L, int raise) {
  int argc = lua_gettop(L);
  const char *problem = pack_arguments(L, argc);
  if (problem != NULL) return raise ? raise_error(L, problem) : return_error(L, problem);
  int32_t len = js_call(state_resp[running_index(L)]);
  const char *start = xbuf;
  if (len <= 0) return raise ? raise_error(L, "Internal error") : return_error(L, "Internal error");
  lua_settop(L, 0);
  parse_reply(L, start, start + len, 1);
  if (raise && start[0] == '-') return lua_error(L); /* the {err = ...} table */
  return 1;
}

static int redis_call(lua_State *L) { return redis_call_generic(L, 1); }
static int redis_pcall(lua_State *L) { return redis_call_generic(L, 0); }

static int redis_acl_check_cmd(lua_State *L) {
  const char *problem = pack_arguments(L, lua_gettop(L));
  if (problem != NULL) return raise_error(L, problem);
  int32_t allowed = js_acl_check();
  if (allowed < 0) return raise_error(L, "Invalid command passed to redis.acl_check_cmd()");
  lua_pushboolean(L, allowed);
  return 1;
}

static int redis_sha1hex(lua_State *L) {
  if (lua_gettop(L) != 1) return raise_error(L, "wrong number of arguments");
  size_t len;
  const char *text = lua_tolstring(L, 1, &len);
  if (text == NULL) {
    text = "";
    len = 0;
  }
  char digest[40];
  js_sha1hex(text, (int32_t)len, digest);
  lua_pushlstring(L, digest, 40);
  return 1;
}

/* redis.status_reply / error_reply: one string argument, else an error table. */
static int redis_status_reply(lua_State *L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    return return_error(L, "wrong number or type of arguments");
  }
  lua_newtable(L);
  lua_pushliteral(L, "ok");
  lua_pushvalue(L, 1);
  lua_rawset(L, -3);
  return 1;
}

static int redis_error_reply(lua_State *L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    return return_error(L, "wrong number or type of arguments");
  }
  size_t len;
  const char *text = lua_tolstring(L, 1, &len);
  /* One leading '-' goes; a text that is only a code (no space) gets "ERR " first. */
  if (len > 0 && text[0] == '-') {
    text++;
    len--;
  }
  lua_newtable(L);
  lua_pushliteral(L, "err");
  if (memchr(text, ' ', len) == NULL) {
    lua_pushliteral(L, "ERR ");
    lua_pushlstring(L, text, len);
    lua_concat(L, 2);
  } else lua_pushlstring(L, text, len);
  lua_rawset(L, -3);
  return 1;
}

int redis_log(lua_State *L) {
  int argc = lua_gettop(L);
  if (argc < 2) return raise_error(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) return raise_error(L, "First argument must be a number (log level).");
  int level = (int)lua_tonumber(L, 1);
  if (level < 0 || level > 3) return raise_error(L, "Invalid debug level.");
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 2; i <= argc; i++) {
    size_t len;
    const char *text = lua_tolstring(L, i, &len);
    if (text == NULL) continue;
    if (i > 2) luaL_addchar(&b, ' ');
    luaL_addlstring(&b, text, len);
  }
  luaL_pushresult(&b);
  size_t len;
  const char *text = lua_tolstring(L, -1, &len);
  js_log(level, text, (int32_t)len);
  return 0;
}

static int redis_setresp(lua_State *L) {
  if (lua_gettop(L) != 1) return raise_error(L, "redis.setresp() requires one argument.");
  int resp = (int)lua_tonumber(L, 1);
  if (resp != 2 && resp != 3) return raise_error(L, "RESP version must be 2 or 3.");
  state_resp[running_index(L)] = resp;
  return 0;
}

static int redis_set_repl(lua_State *L) {
  if (lua_gettop(L) != 1) return raise_error(L, "redis.set_repl() requires two arguments.");
  int flags = (int)lua_tonumber(L, 1);
  if ((flags & ~3) != 0) {
    return raise_error(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  }
  js_set_repl(flags);
  return 0;
}

static int redis_replicate_commands(lua_State *L) {
  lua_pushboolean(L, 1);
  return 1;
}

static int redis_breakpoint(lua_State *L) {
  lua_pushboolean(L, 0);
  return 1;
}

static int redis_nothing(lua_State *L) {
  (void)L;
  return 0;
}

/* redis.register_function: only in the table libraries see while they load. */
/* redis.register_function: libraries.c (only in the table libraries see while loading). */

void set_number_field(lua_State *L, const char *name, lua_Number value) {
  lua_pushstring(L, name);
  lua_pushnumber(L, value);
  lua_rawset(L, -3);
}

void set_function_field(lua_State *L, const char *name, lua_CFunction f) {
  lua_pushstring(L, name);
  lua_pushcfunction(L, f);
  lua_rawset(L, -3);
}

void push_redis_table(lua_State *L) {
  lua_newtable(L);
  set_function_field(L, "call", redis_call);
  set_function_field(L, "pcall", redis_pcall);
  set_function_field(L, "log", redis_log);
  set_function_field(L, "sha1hex", redis_sha1hex);
  set_function_field(L, "error_reply", redis_error_reply);
  set_function_field(L, "status_reply", redis_status_reply);
  set_function_field(L, "setresp", redis_setresp);
  set_function_field(L, "set_repl", redis_set_repl);
  set_function_field(L, "replicate_commands", redis_replicate_commands);
  set_function_field(L, "breakpoint", redis_breakpoint);
  set_function_field(L, "debug", redis_nothing);
  set_function_field(L, "acl_check_cmd", redis_acl_check_cmd);
  set_log_levels(L);
  set_number_field(L, "REPL_NONE", 0);
  set_number_field(L, "REPL_AOF", 1);
  set_number_field(L, "REPL_SLAVE", 2);
  set_number_field(L, "REPL_REPLICA", 2);
  set_number_field(L, "REPL_ALL", 3);
  set_version_fields(L);
}

/* redis.LOG_* in the table at the top (the `redis` table, or the one libraries load with). */
void set_log_levels(lua_State *L) {
  set_number_field(L, "LOG_DEBUG", 0);
  set_number_field(L, "LOG_VERBOSE", 1);
  set_number_field(L, "LOG_NOTICE", 2);
  set_number_field(L, "LOG_WARNING", 3);
}

/* redis.REDIS_VERSION and REDIS_VERSION_NUM in the table at the top. */
void set_version_fields(lua_State *L) {
  lua_pushliteral(L, "REDIS_VERSION");
  lua_pushliteral(L, "7.0.15");
  lua_rawset(L, -3);
  set_number_field(L, "REDIS_VERSION_NUM", 0x07000f);
}

/* ------------------------------------------------------------------------------ */
/* pcall that hands back the text of an error table ({err = ...}), as Redis's does */

int redis_aware_pcall(lua_State *L) {
  luaL_checkany(L, 1);
  int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  if (status != 0 && lua_istable(L, -1)) {
    lua_pushliteral(L, "err");
    lua_rawget(L, -2);
    if (!lua_isnil(L, -1)) lua_remove(L, -2);
    else lua_pop(L, 1);
  }
  lua_pushboolean(L, status == 0);
  lua_insert(L, 1);
  return lua_gettop(L);
}

