/* Function libraries
 *
 * A library's code runs once, at FUNCTION LOAD, to register its functions. Its
 * environment is a read-only table whose lookups go, while it loads, to a small table
 * (`redis` with register_function, log and the constants, nothing else), and afterwards
 * to the real globals: the functions it made then see everything. */
#include "bridge.h"

static int redis_register_function(lua_State *L);

/* The table lookups go to while a library loads. */
static int loading_env_ref = LUA_NOREF;

void forget_loading_env(void) { loading_env_ref = LUA_NOREF; }

/* "chunk:line:" of the innermost Lua function running, for error messages raised from
 * C code that runs on its behalf (metamethods). */
static void push_lua_where(lua_State *L) {
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0) {
      lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
      return;
    }
  }
  lua_pushliteral(L, "");
}

/* __index of a table that must not be read past its contents. */
static int missing_global(lua_State *L) {
  const char *name = lua_tostring(L, 2);
  push_lua_where(L);
  lua_pushfstring(L, "Script attempted to access nonexistent global variable '%s'",
                  name != NULL ? name : "?");
  lua_concat(L, 2);
  return lua_error(L);
}

/* __index of a library's environment. */
static int library_env_index(lua_State *L) {
  if (state_loading[STATE_FUNCTIONS]) lua_rawgeti(L, LUA_REGISTRYINDEX, loading_env_ref);
  else lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  /* Missing: the error names the library's line, not this function's. */
  if (lua_isnil(L, -1)) return missing_global(L);
  return 1;
}

static void set_strict_metatable(lua_State *L) {
  lua_newtable(L);
  lua_pushliteral(L, "__index");
  lua_pushcfunction(L, missing_global);
  lua_rawset(L, -3);
  lua_setmetatable(L, -2);
}

/* Builds the tables a library sees while it loads. */
static void make_loading_env(lua_State *L) {
  lua_newtable(L); /* the globals while loading */
  lua_pushliteral(L, "redis");
  lua_newtable(L);
  set_function_field(L, "register_function", redis_register_function);
  set_function_field(L, "log", redis_log);
  set_log_levels(L);
  set_version_fields(L);
  set_strict_metatable(L);
  lua_enablereadonlytable(L, -1, 1);
  lua_rawset(L, -3);
  set_strict_metatable(L);
  lua_enablereadonlytable(L, -1, 1);
  loading_env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Sets the environment of the function at the top to a new library environment. */
static void set_library_env(lua_State *L) {
  lua_newtable(L);
  lua_newtable(L);
  lua_pushliteral(L, "__index");
  lua_pushcfunction(L, library_env_index);
  lua_rawset(L, -3);
  lua_setmetatable(L, -2);
  lua_enablereadonlytable(L, -1, 1);
  lua_setfenv(L, -2);
}

/* A string argument, as Lua converts it (numbers too); NULL otherwise. */
static const char *string_arg(lua_State *L, int idx, size_t *len) {
  int type = lua_type(L, idx);
  if (type != LUA_TSTRING && type != LUA_TNUMBER) return NULL;
  return lua_tolstring(L, idx, len);
}

static int redis_register_function(lua_State *L) {
  if (!state_loading[STATE_FUNCTIONS]) {
    return raise_error(L, "redis.register_function can only be called on FUNCTION LOAD command");
  }
  int argc = lua_gettop(L);
  const char *name = NULL;
  size_t name_len = 0;
  const char *description = NULL;
  size_t description_len = 0;
  int flags_index = 0;
  if (argc == 1) {
    if (!lua_istable(L, 1)) {
      return raise_error(L, "calling redis.register_function with a single argument is only "
                            "applicable to Lua table (representing named arguments).");
    }
    int callback_index = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
      const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
      int value = lua_gettop(L);
      if (strcmp(key, "function_name") == 0) {
        name = string_arg(L, value, &name_len);
        if (name == NULL) return raise_error(L, "function_name argument given to redis.register_function must be a string");
      } else if (strcmp(key, "description") == 0) {
        description = string_arg(L, value, &description_len);
        if (description == NULL) return raise_error(L, "description argument given to redis.register_function must be a string");
      } else if (strcmp(key, "callback") == 0) {
        if (!lua_isfunction(L, value)) return raise_error(L, "callback argument given to redis.register_function must be a function");
        callback_index = value;
      } else if (strcmp(key, "flags") == 0) {
        if (!lua_istable(L, value)) return raise_error(L, "flags argument to redis.register_function must be a table representing function flags");
        flags_index = value;
      } else {
        return raise_error(L, "unknown argument given to redis.register_function");
      }
      /* Keep the value on the stack (strings stay valid), push the key again. */
      lua_pushvalue(L, -2);
    }
    if (name == NULL) return raise_error(L, "redis.register_function must get a function name argument");
    if (callback_index == 0) return raise_error(L, "redis.register_function must get a callback argument");
    lua_pushvalue(L, callback_index);
  } else if (argc == 2) {
    if (lua_type(L, 1) != LUA_TSTRING && lua_type(L, 1) != LUA_TNUMBER) {
      return raise_error(L, "first argument to redis.register_function must be a string");
    }
    if (!lua_isfunction(L, 2)) return raise_error(L, "second argument to redis.register_function must be a function");
    name = lua_tolstring(L, 1, &name_len);
    lua_pushvalue(L, 2);
  } else {
    return raise_error(L, "wrong number of arguments to redis.register_function");
  }
  int callback = lua_gettop(L);
  /* Flags: each must be a string; the server checks the names. */
  size_t flags_len = 0;
  int flag_count = 0;
  if (flags_index != 0) {
    for (int i = 1;; i++) {
      lua_rawgeti(L, flags_index, i);
      int type = lua_type(L, -1);
      lua_pop(L, 1);
      if (type == LUA_TNIL) break;
      if (type != LUA_TSTRING) return raise_error(L, "unknown flag given");
      lua_rawgeti(L, flags_index, i);
      flags_len += 4 + lua_objlen(L, -1);
      lua_pop(L, 1);
      flag_count++;
    }
  }
  /* [name len][name][description len or -1][description][count][len flag]... */
  if (rd_reserve((uint32_t)(16 + name_len + description_len + flags_len)) == NULL) {
    return raise_error(L, "Out of memory");
  }
  char *p = xbuf;
  uint32_t n = (uint32_t)name_len;
  memcpy(p, &n, 4);
  memcpy(p + 4, name, name_len);
  p += 4 + name_len;
  int32_t d = description == NULL ? -1 : (int32_t)description_len;
  memcpy(p, &d, 4);
  p += 4;
  if (description != NULL) {
    memcpy(p, description, description_len);
    p += description_len;
  }
  uint32_t fc = (uint32_t)flag_count;
  memcpy(p, &fc, 4);
  p += 4;
  for (int i = 1; i <= flag_count; i++) {
    lua_rawgeti(L, flags_index, i);
    size_t len;
    const char *flag = lua_tolstring(L, -1, &len);
    uint32_t l32 = (uint32_t)len;
    memcpy(p, &l32, 4);
    memcpy(p + 4, flag, len);
    p += 4 + len;
    lua_pop(L, 1);
  }
  xlen = (uint32_t)(p - xbuf);
  lua_pushvalue(L, callback);
  int ref = luaL_ref(L, LUA_REGISTRYINDEX);
  if (js_register_function(ref, 0) != 0) {
    luaL_unref(L, LUA_REGISTRYINDEX, ref);
    /* The server left its error text in the exchange buffer. */
    lua_newtable(L);
    lua_pushliteral(L, "err");
    lua_pushlstring(L, xbuf, xlen);
    lua_rawset(L, -3);
    return lua_error(L);
  }
  return 0;
}

/* Compiles and runs a library's code (after its shebang line, which the chunk keeps as a
 * comment) so that it registers its functions. Returns 0; 1 with the compiler's error
 * text left in the exchange buffer; 2 with the error while running. */
EXPORT(rd_load_library) int32_t rd_load_library(uint32_t code_len) {
  lua_State *L = states[STATE_FUNCTIONS];
  if (loading_env_ref == LUA_NOREF) make_loading_env(L);
  lua_settop(L, 0);
  lua_getglobal(L, "__redis__err__handler");
  if (luaL_loadbuffer(L, xbuf, code_len, "@user_function") != 0) {
    size_t len;
    const char *text = lua_tolstring(L, -1, &len);
    if (text == NULL) text = "unknown error";
    set_text(text, len);
    lua_settop(L, 0);
    return 1;
  }
  set_library_env(L);
  state_loading[STATE_FUNCTIONS] = 1;
  state_can_yield[STATE_FUNCTIONS] = 0;
  lua_sethook(L, busy_hook, LUA_MASKCOUNT, HOOK_EVERY);
  int status = lua_pcall(L, 0, 0, 1);
  lua_sethook(L, NULL, 0, 0);
  state_loading[STATE_FUNCTIONS] = 0;
  if (status != 0) {
    const char *text = NULL;
    size_t len = 0;
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      text = lua_tolstring(L, -1, &len);
    } else text = lua_tolstring(L, -1, &len);
    if (text == NULL) {
      text = "unknown error";
      len = strlen(text);
    }
    set_text(text, len);
    lua_settop(L, 0);
    return 2;
  }
  lua_settop(L, 0);
  return 0;
}

