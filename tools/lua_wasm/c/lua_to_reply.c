/*
 * A script's result sent to the client the way Redis converts Lua values: strings as
 * bulk strings, numbers as integers (truncated), {err=}/{ok=} as error/status replies,
 * RESP3 types from {map=}, {set=}, {double=} ..., arrays up to the first nil.
 */
#include "bridge.h"

static int64_t number_to_int64(lua_Number n) {
  /* What a C cast gives on x86-64 for values out of range or NaN. */
  if (!(n >= -9223372036854775808.0 && n < 9223372036854775808.0)) return INT64_MIN;
  return (int64_t)n;
}

/* The field `name` of the table at the top, pushed; its type returned. */
static int field(lua_State *L, const char *name) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  return lua_type(L, -1);
}

static void emit_table(lua_State *L, int script_resp, int depth) {
  size_t len;
  const char *text;
  /* {err = ...}: an error reply; its text is sent as it is. */
  if (field(L, "err") == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
    text = lua_tolstring(L, -1, &len);
    lua_pushliteral(L, IGNORE_STATS);
    lua_rawget(L, -3);
    int counted = lua_toboolean(L, -1);
    lua_pop(L, 1);
    reply_error(text, (int32_t)len, counted);
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (field(L, "ok") == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
    text = lua_tolstring(L, -1, &len);
    reply_status(text, (int32_t)len);
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (field(L, "double") == LUA_TNUMBER) {
    reply_double(lua_tonumber(L, -1));
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (field(L, "big_number") == LUA_TSTRING) {
    text = lua_tolstring(L, -1, &len);
    reply_big_number(text, (int32_t)len);
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (field(L, "verbatim_string") == LUA_TTABLE) {
    int verbatim = lua_gettop(L);
    lua_pushliteral(L, "format");
    lua_rawget(L, verbatim);
    int format_type = lua_type(L, -1);
    lua_pushliteral(L, "string");
    lua_rawget(L, verbatim);
    int string_type = lua_type(L, -1);
    if (format_type == LUA_TSTRING && string_type == LUA_TSTRING) {
      size_t format_len;
      const char *format = lua_tolstring(L, -2, &format_len);
      text = lua_tolstring(L, -1, &len);
      /* The format is three characters: longer ones are cut, shorter ones padded. */
      char three[3] = {' ', ' ', ' '};
      memcpy(three, format, format_len < 3 ? format_len : 3);
      reply_verbatim(text, (int32_t)len, three);
      lua_pop(L, 3);
      return;
    }
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
  if (field(L, "map") == LUA_TTABLE) {
    int32_t count = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      count++;
      lua_pop(L, 1);
    }
    reply_map(count);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pushvalue(L, -2);
      emit_value(L, script_resp, depth + 1); /* the key (a copy) */
      emit_value(L, script_resp, depth + 1); /* the value */
    }
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (field(L, "set") == LUA_TTABLE) {
    int32_t count = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      count++;
      lua_pop(L, 1);
    }
    reply_set(count);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      lua_pushvalue(L, -1);
      emit_value(L, script_resp, depth + 1);
    }
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  /* An array: items 1, 2, ... up to the first nil. */
  int32_t count = 0;
  for (;;) {
    lua_rawgeti(L, -1, count + 1);
    int missing = lua_isnil(L, -1);
    lua_pop(L, 1);
    if (missing) break;
    count++;
  }
  reply_array(count);
  for (int32_t i = 1; i <= count; i++) {
    lua_rawgeti(L, -1, i);
    emit_value(L, script_resp, depth + 1);
  }
}

/* Sends the value at the top of the stack, and pops it. */
void emit_value(lua_State *L, int script_resp, int depth) {
  lua_checkstack(L, 8);
  size_t len;
  const char *text;
  switch (lua_type(L, -1)) {
    case LUA_TSTRING:
      text = lua_tolstring(L, -1, &len);
      reply_bulk(text, (int32_t)len);
      break;
    case LUA_TNUMBER:
      reply_int(number_to_int64(lua_tonumber(L, -1)));
      break;
    case LUA_TBOOLEAN:
      if (script_resp == 3) reply_bool(lua_toboolean(L, -1));
      else if (lua_toboolean(L, -1)) reply_int(1);
      else reply_null();
      break;
    case LUA_TTABLE:
      if (depth > 1000) {
        const char *message = "ERR reached lua stack limit";
        reply_error(message, (int32_t)strlen(message), 0);
      } else emit_table(L, script_resp, depth);
      break;
    default:
      reply_null();
      break;
  }
  lua_pop(L, 1);
}

