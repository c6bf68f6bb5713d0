/*
 * A command's reply (RESP2 or RESP3, as redis.call gets it) turned into Lua values the
 * way Redis converts them: status -> {ok=}, error -> {err=}, null bulk -> false,
 * map -> {map=}, set -> {set=}, double -> {double=}, and so on.
 */
#include "bridge.h"

static int64_t parse_int(const char *p, const char **after) {
  int negative = 0;
  int64_t n = 0;
  if (*p == '-') {
    negative = 1;
    p++;
  } else if (*p == '+') p++;
  while (*p >= '0' && *p <= '9') n = n * 10 + (*p++ - '0');
  *after = p + 2; /* \r\n */
  return negative ? -n : n;
}

static const char *line_end(const char *p) {
  while (*p != '\r') p++;
  return p;
}

/* Pushes {field = string}. */
static void push_field_table(lua_State *L, const char *field, const char *text, size_t len) {
  lua_newtable(L);
  lua_pushstring(L, field);
  lua_pushlstring(L, text, len);
  lua_rawset(L, -3);
}

const char *parse_reply(lua_State *L, const char *p, const char *end, int top) {
  (void)top;
  lua_checkstack(L, 8);
  char type = *p++;
  switch (type) {
    case ':': {
      int64_t n = parse_int(p, &p);
      lua_pushnumber(L, (lua_Number)n);
      return p;
    }
    case '$': {
      int64_t len = parse_int(p, &p);
      if (len < 0) {
        lua_pushboolean(L, 0);
        return p;
      }
      lua_pushlstring(L, p, (size_t)len);
      return p + len + 2;
    }
    case '+': {
      const char *e = line_end(p);
      push_field_table(L, "ok", p, (size_t)(e - p));
      return e + 2;
    }
    case '-': {
      /* The error was counted in INFO errorstats when the command failed: the table
       * says so, and the script's reply of it is not counted again. */
      const char *e = line_end(p);
      push_field_table(L, "err", p, (size_t)(e - p));
      lua_pushliteral(L, IGNORE_STATS);
      lua_pushboolean(L, 1);
      lua_rawset(L, -3);
      return e + 2;
    }
    case '*':
    case '~':
    case '>': {
      int64_t count = parse_int(p, &p);
      if (count < 0) {
        lua_pushboolean(L, 0);
        return p;
      }
      if (type == '~') {
        lua_newtable(L);
        lua_pushliteral(L, "set");
        lua_newtable(L);
        for (int64_t i = 0; i < count; i++) {
          p = parse_reply(L, p, end, 0);
          lua_pushboolean(L, 1);
          lua_rawset(L, -3);
        }
        lua_rawset(L, -3);
        return p;
      }
      lua_createtable(L, (int)count, 0);
      for (int64_t i = 0; i < count; i++) {
        p = parse_reply(L, p, end, 0);
        lua_rawseti(L, -2, (int)(i + 1));
      }
      return p;
    }
    case '%': {
      int64_t count = parse_int(p, &p);
      lua_newtable(L);
      lua_pushliteral(L, "map");
      lua_newtable(L);
      for (int64_t i = 0; i < count; i++) {
        p = parse_reply(L, p, end, 0);
        p = parse_reply(L, p, end, 0);
        lua_rawset(L, -3);
      }
      lua_rawset(L, -3);
      return p;
    }
    case '|': { /* attributes: skipped, the value follows */
      int64_t count = parse_int(p, &p);
      for (int64_t i = 0; i < count * 2; i++) {
        p = parse_reply(L, p, end, 0);
        lua_pop(L, 1);
      }
      return parse_reply(L, p, end, top);
    }
    case '_':
      lua_pushnil(L);
      return p + 2;
    case '#':
      lua_pushboolean(L, *p == 't');
      return p + 3;
    case ',': {
      const char *e = line_end(p);
      char number[64];
      size_t len = (size_t)(e - p);
      if (len >= sizeof number) len = sizeof number - 1;
      memcpy(number, p, len);
      number[len] = 0;
      lua_newtable(L);
      lua_pushliteral(L, "double");
      lua_pushnumber(L, strtod(number, NULL));
      lua_rawset(L, -3);
      return e + 2;
    }
    case '(': {
      const char *e = line_end(p);
      push_field_table(L, "big_number", p, (size_t)(e - p));
      return e + 2;
    }
    case '=': {
      int64_t len = parse_int(p, &p);
      lua_newtable(L);
      lua_pushliteral(L, "verbatim_string");
      lua_newtable(L);
      lua_pushliteral(L, "format");
      lua_pushlstring(L, p, 3);
      lua_rawset(L, -3);
      lua_pushliteral(L, "string");
      lua_pushlstring(L, p + 4, (size_t)(len - 4));
      lua_rawset(L, -3);
      lua_rawset(L, -3);
      return p + len + 2;
    }
    default:
      lua_pushnil(L);
      return end;
  }
}

