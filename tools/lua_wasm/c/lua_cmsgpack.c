/*
 * lua_cmsgpack.c - the `cmsgpack` library that Redis 7.0 exposes to Lua scripts
 * (cmsgpack.pack, unpack, unpack_one, unpack_limit).
 *
 * This is Redeno's own implementation, written from the observable behaviour of
 * lua-cmsgpack 0.4.0 as Redis 7.0.15 ships it on x86-64:
 *
 * - pack(v1, v2, ...) encodes each value and returns the concatenation;
 * - numbers that are integers in [-2^63, 2^63) use the smallest integer
 *   encoding, others a float32 when that is exact, otherwise a float64 (NaN is
 *   always a float64, the infinities float32);
 * - strings use fixstr / str8 / str16 / str32;
 * - a table is an array when all its keys are integers in [1, 2^31) and the
 *   largest equals their count (the empty table too), otherwise a map in
 *   next() order; tables nested 16 deep are encoded as nil, like functions,
 *   userdata and threads;
 * - decoding pushes unsigned 64-bit values as signed ones, turns float32 into
 *   numbers, rejects bin/ext formats ("Bad data format in input.") and
 *   truncated input ("Missing bytes in input.").
 *
 * The target is wasm32, where long and size_t are 32 bits wide and float ->
 * integer casts saturate, so the conversions whose result shows are written out
 * the way x86-64 computes them.
 */

#include <stdint.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"

#define MP_MAX_NESTING 16
#define MP_BUFFER_META "redeno.cmsgpack.buffer"

/* --- x86-64 conversions ------------------------------------------------- */

/* (int64_t)d as cvttsd2si computes it: NaN and out-of-range give INT64_MIN. */
static int64_t mp_d2i64(double d) {
  if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) return (int64_t)d;
  return INT64_MIN;
}

/* Is d an integer that a 64-bit conversion keeps exactly? */
static int mp_is_int64(double d) {
  return d >= -9223372036854775808.0 && d < 9223372036854775808.0 && (double)(int64_t)d == d;
}

/* Is d an integer that a 32-bit int conversion keeps exactly? */
static int mp_is_int32(double d) {
  return d >= -2147483648.0 && d < 2147483648.0 && (double)(int32_t)d == d;
}

/* luaL_checkinteger / luaL_optinteger as on x86-64 (64-bit lua_Integer). */
static int64_t mp_int_arg(lua_State *L, int arg, int optional, int64_t df) {
  if (optional && lua_isnoneornil(L, arg)) return df;
  return mp_d2i64((double)luaL_checknumber(L, arg));
}

/* What "%d" shows of a 64-bit value on x86-64: its low 32 bits. */
static int mp_low32(int64_t v) {
  return (int)(uint32_t)(uint64_t)v;
}

/* --- output buffer (a userdata, so an error never leaks it) ------------- */

typedef struct {
  unsigned char *data;
  size_t len;
  size_t cap;
} MpBuffer;

static int mp_buffer_gc(lua_State *L) {
  MpBuffer *buf = (MpBuffer *)lua_touserdata(L, 1);
  if (buf != NULL && buf->data != NULL) {
    void *ud;
    lua_Alloc alloc = lua_getallocf(L, &ud);
    alloc(ud, buf->data, buf->cap, 0);
    buf->data = NULL;
    buf->cap = buf->len = 0;
  }
  return 0;
}

static MpBuffer *mp_buffer_new(lua_State *L) {
  MpBuffer *buf = (MpBuffer *)lua_newuserdata(L, sizeof(MpBuffer));
  buf->data = NULL;
  buf->len = buf->cap = 0;
  luaL_getmetatable(L, MP_BUFFER_META);
  lua_setmetatable(L, -2);
  return buf;
}

static void mp_append(lua_State *L, MpBuffer *buf, const void *p, size_t n) {
  if (n > buf->cap - buf->len) {
    void *ud;
    lua_Alloc alloc = lua_getallocf(L, &ud);
    size_t need = buf->len + n;
    size_t cap = buf->cap < 64 ? 64 : buf->cap;
    unsigned char *grown;
    if (need < buf->len) luaL_error(L, "not enough memory");
    while (cap < need) {
      if (cap > ((size_t)-1) / 2) {
        cap = need;
        break;
      }
      cap *= 2;
    }
    grown = (unsigned char *)alloc(ud, buf->data, buf->cap, cap);
    if (grown == NULL) luaL_error(L, "not enough memory");
    buf->data = grown;
    buf->cap = cap;
  }
  if (n > 0) memcpy(buf->data + buf->len, p, n);
  buf->len += n;
}

static void mp_put_be(unsigned char *out, uint64_t v, int n) {
  int i;
  for (i = n - 1; i >= 0; i--) {
    out[i] = (unsigned char)(v & 0xff);
    v >>= 8;
  }
}

/* A type byte followed by an n-byte big-endian value. */
static void mp_append_head(lua_State *L, MpBuffer *buf, unsigned char type, uint64_t v, int n) {
  unsigned char out[9];
  out[0] = type;
  mp_put_be(out + 1, v, n);
  mp_append(L, buf, out, (size_t)n + 1);
}

/* --- encoding ----------------------------------------------------------- */

static void mp_encode_int(lua_State *L, MpBuffer *buf, int64_t n) {
  if (n >= 0) {
    if (n <= 127) mp_append_head(L, buf, (unsigned char)n, 0, 0);
    else if (n <= 0xff) mp_append_head(L, buf, 0xcc, (uint64_t)n, 1);
    else if (n <= 0xffff) mp_append_head(L, buf, 0xcd, (uint64_t)n, 2);
    else if (n <= 0xffffffffLL) mp_append_head(L, buf, 0xce, (uint64_t)n, 4);
    else mp_append_head(L, buf, 0xcf, (uint64_t)n, 8);
  } else {
    if (n >= -32) mp_append_head(L, buf, (unsigned char)((uint64_t)n & 0xff), 0, 0);
    else if (n >= -128) mp_append_head(L, buf, 0xd0, (uint64_t)n, 1);
    else if (n >= -32768) mp_append_head(L, buf, 0xd1, (uint64_t)n, 2);
    else if (n >= -2147483648LL) mp_append_head(L, buf, 0xd2, (uint64_t)n, 4);
    else mp_append_head(L, buf, 0xd3, (uint64_t)n, 8);
  }
}

static void mp_encode_number(lua_State *L, MpBuffer *buf, double d) {
  if (mp_is_int64(d)) {
    mp_encode_int(L, buf, (int64_t)d);
  } else {
    float f = (float)d;
    if ((double)f == d) {
      uint32_t bits;
      memcpy(&bits, &f, 4);
      mp_append_head(L, buf, 0xca, bits, 4);
    } else {
      uint64_t bits;
      memcpy(&bits, &d, 8);
      mp_append_head(L, buf, 0xcb, bits, 8);
    }
  }
}

static void mp_encode_string(lua_State *L, MpBuffer *buf, const char *s, size_t len) {
  if (len < 32) mp_append_head(L, buf, (unsigned char)(0xa0 | len), 0, 0);
  else if (len <= 0xff) mp_append_head(L, buf, 0xd9, (uint64_t)len, 1);
  else if (len <= 0xffff) mp_append_head(L, buf, 0xda, (uint64_t)len, 2);
  else mp_append_head(L, buf, 0xdb, (uint64_t)(uint32_t)len, 4);
  mp_append(L, buf, s, len);
}

static void mp_encode_array_head(lua_State *L, MpBuffer *buf, uint64_t n) {
  if (n <= 15) mp_append_head(L, buf, (unsigned char)(0x90 | n), 0, 0);
  else if (n <= 0xffff) mp_append_head(L, buf, 0xdc, n, 2);
  else mp_append_head(L, buf, 0xdd, (uint32_t)n, 4);
}

static void mp_encode_map_head(lua_State *L, MpBuffer *buf, uint64_t n) {
  if (n <= 15) mp_append_head(L, buf, (unsigned char)(0x80 | n), 0, 0);
  else if (n <= 0xffff) mp_append_head(L, buf, 0xde, n, 2);
  else mp_append_head(L, buf, 0xdf, (uint32_t)n, 4);
}

/*
 * Redis's pack leaves one string per encoded argument on the Lua stack until it
 * concatenates them, and its table encoders check the stack against Lua's limit
 * of LUAI_MAXCSTACK slots. This implementation keeps one buffer (one stack slot)
 * instead, so "bias" carries the difference in stack use, and the checks below
 * fail exactly where Redis's would ("stack overflow (...)").
 */
#define MP_MAX_CSTACK 8000

static void mp_checkstack(lua_State *L, int space, int bias, const char *what) {
  if (lua_gettop(L) + bias + space > MP_MAX_CSTACK) luaL_error(L, "stack overflow (%s)", what);
  luaL_checkstack(L, space, what);
}

/* The table on top is an array when every key is an integer in [1, 2^31) and
 * the largest key equals the number of keys. */
static int mp_table_is_array(lua_State *L, int bias) {
  int top;
  int64_t count = 0, max = 0;
  mp_checkstack(L, 2, bias, "in function table_is_an_array");
  top = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    double k;
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER || (k = (double)lua_tonumber(L, -1)) <= 0 ||
        !mp_is_int32(k)) {
      lua_settop(L, top);
      return 0;
    }
    if ((int64_t)k > max) max = (int64_t)k;
    count++;
  }
  lua_settop(L, top);
  return max == count;
}

static void mp_encode_value(lua_State *L, MpBuffer *buf, int level, int bias);

static void mp_encode_table(lua_State *L, MpBuffer *buf, int level, int bias) {
  if (mp_table_is_array(L, bias)) {
    size_t len = lua_objlen(L, -1), i;
    mp_encode_array_head(L, buf, (uint64_t)len);
    mp_checkstack(L, 1, bias, "in function mp_encode_lua_table_as_array");
    for (i = 1; i <= len; i++) {
      lua_pushnumber(L, (lua_Number)i);
      lua_gettable(L, -2);
      mp_encode_value(L, buf, level + 1, bias);
    }
  } else {
    uint64_t count = 0;
    mp_checkstack(L, 3, bias, "in function mp_encode_lua_table_as_map");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      count++;
    }
    mp_encode_map_head(L, buf, count);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pushvalue(L, -2);
      mp_encode_value(L, buf, level + 1, bias); /* the key */
      mp_encode_value(L, buf, level + 1, bias); /* the value */
    }
  }
}

/* Encodes the value on top of the stack and pops it. */
static void mp_encode_value(lua_State *L, MpBuffer *buf, int level, int bias) {
  int t = lua_type(L, -1);
  if (t == LUA_TTABLE && level == MP_MAX_NESTING) t = LUA_TNIL;
  switch (t) {
    case LUA_TSTRING: {
      size_t len;
      const char *s = lua_tolstring(L, -1, &len);
      mp_encode_string(L, buf, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      mp_append_head(L, buf, lua_toboolean(L, -1) ? 0xc3 : 0xc2, 0, 0);
      break;
    case LUA_TNUMBER:
      mp_encode_number(L, buf, (double)lua_tonumber(L, -1));
      break;
    case LUA_TTABLE:
      mp_encode_table(L, buf, level, bias);
      break;
    default:
      mp_append_head(L, buf, 0xc0, 0, 0);
      break;
  }
  lua_pop(L, 1);
}

static int mp_pack(lua_State *L) {
  int nargs = lua_gettop(L);
  int i;
  MpBuffer *buf;
  if (nargs == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (!lua_checkstack(L, nargs)) return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
  buf = mp_buffer_new(L); /* at nargs + 1 */
  for (i = 1; i <= nargs; i++) {
    /* Redis would hold i - 1 strings here, where this holds the buffer. */
    int bias = (i - 1) - 1;
    mp_checkstack(L, 1, bias, "in function mp_check");
    lua_pushvalue(L, i);
    mp_encode_value(L, buf, 0, bias);
  }
  lua_pushlstring(L, buf->data != NULL ? (const char *)buf->data : "", buf->len);
  lua_pushcfunction(L, mp_buffer_gc); /* free the memory now rather than at the next GC */
  lua_pushvalue(L, nargs + 1);
  lua_call(L, 1, 0);
  return 1;
}

/* --- decoding ----------------------------------------------------------- */

enum { MP_OK = 0, MP_EOF = 1, MP_BADFMT = 2 };

typedef struct {
  const unsigned char *p;
  size_t left;
  int err;
} MpCursor;

static int mp_need(MpCursor *c, uint64_t n) {
  if ((uint64_t)c->left < n) {
    c->err = MP_EOF;
    return 0;
  }
  return 1;
}

static void mp_skip(MpCursor *c, size_t n) {
  c->p += n;
  c->left -= n;
}

static uint64_t mp_get_be(const unsigned char *p, int n) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < n; i++) v = (v << 8) | p[i];
  return v;
}

static void mp_decode_value(lua_State *L, MpCursor *c);

static void mp_decode_array(lua_State *L, MpCursor *c, uint64_t n) {
  uint64_t i;
  lua_newtable(L);
  luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
  for (i = 1; i <= n; i++) {
    lua_pushnumber(L, (lua_Number)i);
    mp_decode_value(L, c);
    if (c->err) return;
    lua_settable(L, -3);
  }
}

static void mp_decode_map(lua_State *L, MpCursor *c, uint64_t n) {
  uint64_t i;
  lua_newtable(L);
  for (i = 0; i < n; i++) {
    mp_decode_value(L, c); /* the key */
    if (c->err) return;
    mp_decode_value(L, c); /* the value */
    if (c->err) return;
    lua_settable(L, -3);
  }
}

/* Pushes a string of n bytes found after a header of h bytes. */
static void mp_decode_string(lua_State *L, MpCursor *c, size_t h, uint64_t n) {
  if (!mp_need(c, h + n)) return;
  lua_pushlstring(L, (const char *)c->p + h, (size_t)n);
  mp_skip(c, h + (size_t)n);
}

/* Pushes a big-endian integer of n bytes following the type byte. */
static void mp_decode_int(lua_State *L, MpCursor *c, int n, int is_signed) {
  uint64_t v;
  if (!mp_need(c, (uint64_t)n + 1)) return;
  v = mp_get_be(c->p + 1, n);
  if (is_signed && n < 8 && (v >> (n * 8 - 1)) & 1) v |= ~(uint64_t)0 << (n * 8);
  /* Unsigned 64-bit values above 2^63 come out negative, as in Redis. */
  lua_pushnumber(L, (lua_Number)(int64_t)v);
  mp_skip(c, (size_t)n + 1);
}

static void mp_decode_value(lua_State *L, MpCursor *c) {
  unsigned char t;
  if (!mp_need(c, 1)) return;
  luaL_checkstack(L, 1, "too many return values at once; use unpack_one or unpack_limit instead.");
  t = c->p[0];
  switch (t) {
    case 0xcc: mp_decode_int(L, c, 1, 0); return;
    case 0xcd: mp_decode_int(L, c, 2, 0); return;
    case 0xce: mp_decode_int(L, c, 4, 0); return;
    case 0xcf: mp_decode_int(L, c, 8, 0); return;
    case 0xd0: mp_decode_int(L, c, 1, 1); return;
    case 0xd1: mp_decode_int(L, c, 2, 1); return;
    case 0xd2: mp_decode_int(L, c, 4, 1); return;
    case 0xd3: mp_decode_int(L, c, 8, 1); return;
    case 0xc0: lua_pushnil(L); mp_skip(c, 1); return;
    case 0xc2: lua_pushboolean(L, 0); mp_skip(c, 1); return;
    case 0xc3: lua_pushboolean(L, 1); mp_skip(c, 1); return;
    case 0xca: {
      uint32_t bits;
      float f;
      if (!mp_need(c, 5)) return;
      bits = (uint32_t)mp_get_be(c->p + 1, 4);
      memcpy(&f, &bits, 4);
      lua_pushnumber(L, (lua_Number)f);
      mp_skip(c, 5);
      return;
    }
    case 0xcb: {
      uint64_t bits;
      double d;
      if (!mp_need(c, 9)) return;
      bits = mp_get_be(c->p + 1, 8);
      memcpy(&d, &bits, 8);
      lua_pushnumber(L, (lua_Number)d);
      mp_skip(c, 9);
      return;
    }
    case 0xd9:
      if (!mp_need(c, 2)) return;
      mp_decode_string(L, c, 2, mp_get_be(c->p + 1, 1));
      return;
    case 0xda:
      if (!mp_need(c, 3)) return;
      mp_decode_string(L, c, 3, mp_get_be(c->p + 1, 2));
      return;
    case 0xdb:
      if (!mp_need(c, 5)) return;
      mp_decode_string(L, c, 5, mp_get_be(c->p + 1, 4));
      return;
    case 0xdc: case 0xdd: case 0xde: case 0xdf: {
      int h = (t == 0xdc || t == 0xde) ? 2 : 4;
      uint64_t n;
      if (!mp_need(c, (uint64_t)h + 1)) return;
      n = mp_get_be(c->p + 1, h);
      mp_skip(c, (size_t)h + 1);
      if (t <= 0xdd) mp_decode_array(L, c, n);
      else mp_decode_map(L, c, n);
      return;
    }
    default:
      if ((t & 0x80) == 0) { /* positive fixint */
        lua_pushnumber(L, (lua_Number)t);
        mp_skip(c, 1);
      } else if ((t & 0xe0) == 0xe0) { /* negative fixint */
        lua_pushnumber(L, (lua_Number)((int)t - 256));
        mp_skip(c, 1);
      } else if ((t & 0xe0) == 0xa0) { /* fixstr */
        mp_decode_string(L, c, 1, t & 0x1f);
      } else if ((t & 0xf0) == 0x90) { /* fixarray */
        mp_skip(c, 1);
        mp_decode_array(L, c, t & 0x0f);
      } else if ((t & 0xf0) == 0x80) { /* fixmap */
        mp_skip(c, 1);
        mp_decode_map(L, c, t & 0x0f);
      } else { /* 0xc1, bin, ext, fixext */
        c->err = MP_BADFMT;
      }
      return;
  }
}

/* Decodes up to limit values from offset (everything when both are 0); when a
 * limit or an offset was asked for, the first result is the offset of the next
 * value, or -1 at the end of the input. Expects the string alone on the stack
 * unless everything is decoded. */
static int mp_unpack_full(lua_State *L, int64_t limit, int64_t offset) {
  size_t len;
  const char *s;
  MpCursor c;
  int64_t count;
  int all = limit == 0 && offset == 0;
  s = luaL_checklstring(L, 1, &len);
  if (offset < 0 || limit < 0)
    /* (Redis shows the input length as the "limit".) */
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                      mp_low32(offset), mp_low32((int64_t)len));
  if ((uint64_t)offset > (uint64_t)len)
    return luaL_error(L, "Start offset %d greater than input length %d.", mp_low32(offset),
                      mp_low32((int64_t)len));
  if (all) limit = 2147483647;
  c.p = (const unsigned char *)s + offset;
  c.left = len - (size_t)offset;
  c.err = MP_OK;
  for (count = 0; c.left > 0 && count < limit; count++) {
    mp_decode_value(L, &c);
    if (c.err == MP_EOF) return luaL_error(L, "Missing bytes in input.");
    if (c.err == MP_BADFMT) return luaL_error(L, "Bad data format in input.");
  }
  if (!all) {
    int64_t next = (int64_t)(len - c.left);
    luaL_checkstack(L, 1, "in function mp_unpack_full");
    lua_pushnumber(L, (lua_Number)(c.left == 0 ? -1 : next));
    lua_insert(L, 2);
    count++;
  }
  return (int)count;
}

static int mp_unpack(lua_State *L) {
  return mp_unpack_full(L, 0, 0);
}

/* Drops the arguments after the first (without making one up when none). */
static void mp_keep_first(lua_State *L) {
  if (lua_gettop(L) > 1) lua_settop(L, 1);
}

static int mp_unpack_one(lua_State *L) {
  int64_t offset = mp_int_arg(L, 2, 1, 0);
  mp_keep_first(L);
  return mp_unpack_full(L, 1, offset);
}

static int mp_unpack_limit(lua_State *L) {
  int64_t limit = mp_int_arg(L, 2, 0, 0);
  int64_t offset = mp_int_arg(L, 3, 1, 0);
  mp_keep_first(L);
  return mp_unpack_full(L, limit, offset);
}

/* Registration order matters: it decides the iteration order of pairs(cmsgpack). */
static const luaL_Reg mp_functions[] = {
  {"pack", mp_pack},
  {"unpack", mp_unpack},
  {"unpack_one", mp_unpack_one},
  {"unpack_limit", mp_unpack_limit},
  {NULL, NULL}
};

int luaopen_cmsgpack(lua_State *L) {
  if (luaL_newmetatable(L, MP_BUFFER_META)) {
    lua_pushcfunction(L, mp_buffer_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  lua_newtable(L);
  luaL_register(L, NULL, mp_functions);
  lua_pushliteral(L, "cmsgpack");
  lua_setfield(L, -2, "_NAME");
  lua_pushliteral(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  lua_pushliteral(L, "Copyright (C) 2012, Salvatore Sanfilippo");
  lua_setfield(L, -2, "_COPYRIGHT");
  lua_pushliteral(L, "MessagePack C implementation for Lua");
  lua_setfield(L, -2, "_DESCRIPTION");
  lua_pushvalue(L, -1);
  lua_setglobal(L, "cmsgpack");
  return 1;
}
