/*
 * lua_struct.c - the `struct` library that Redis 7.0 exposes to Lua scripts
 * (struct.pack, struct.unpack, struct.size).
 *
 * This is Redeno's own implementation, written from the observable behaviour of
 * Roberto Ierusalimschy's struct library as Redis 7.0.15 ships it on x86-64:
 * same format language, same sizes, alignment rules, results and error messages.
 *
 * Format options:
 *   >  <     big / little endian (little is the default)
 *   ![n]     maximum alignment n (a power of 2; 8 without digits); default 1
 *   x        one padding byte
 *   b B      signed / unsigned char (1 byte)
 *   h H      signed / unsigned short (2 bytes)
 *   l L      signed / unsigned long (8 bytes, as on x86-64)
 *   T        size_t (8 bytes, as on x86-64)
 *   i[n] I[n] signed / unsigned integer of n bytes (default 4, at most 32)
 *   c[n]     n chars (default 1); pack: c0 takes the whole string;
 *            unpack: c0 takes the previous result as the length
 *   s        zero-terminated string
 *   f d      float / double
 *   ' '      ignored
 *
 * The target is wasm32, where long and size_t are 32 bits wide, so every width
 * that shows in the behaviour is spelled out with fixed-width types, and the
 * double -> integer conversions are done the way x86-64 does them (out-of-range
 * values and NaN become 0x8000000000000000) instead of relying on C casts.
 */

#include <stdint.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"

#define STRUCT_MAX_INT_SIZE 32   /* largest i/I size */
#define STRUCT_MAX_ALIGN 8       /* alignment of "!" without digits */
#define STRUCT_INT_MAX 2147483647

enum { ST_BIG = 0, ST_LITTLE = 1 };

typedef struct {
  int endian;
  int align;
} StructState;

/* --- x86-64 conversions ------------------------------------------------- */

/* (int64_t)d as cvttsd2si computes it: NaN and out-of-range give INT64_MIN. */
static int64_t st_d2i64(double d) {
  if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) return (int64_t)d;
  return INT64_MIN;
}

/* (uint64_t)d as x86-64 code compiled by gcc computes it: below 2^63 (and NaN)
 * through the signed conversion, above it with a 2^63 offset. */
static uint64_t st_d2u64(double d) {
  if (!(d >= 9223372036854775808.0)) return (uint64_t)st_d2i64(d);
  return (uint64_t)st_d2i64(d - 9223372036854775808.0) ^ 0x8000000000000000ULL;
}

/* --- format parsing ----------------------------------------------------- */

static int st_isdigit(int c) { return c >= '0' && c <= '9'; }
static int st_islower(int c) { return c >= 'a' && c <= 'z'; }
static int st_isalnum(int c) {
  return st_isdigit(c) || st_islower(c) || (c >= 'A' && c <= 'Z');
}

/* Reads an optional decimal number at *fmt; df when there is none. */
static int st_number(lua_State *L, const unsigned char **fmt, int df) {
  int value = 0;
  if (!st_isdigit(**fmt)) return df;
  while (st_isdigit(**fmt)) {
    int digit = **fmt - '0';
    if (value > (STRUCT_INT_MAX - digit) / 10) luaL_error(L, "integral size overflow");
    value = value * 10 + digit;
    (*fmt)++;
  }
  return value;
}

/* Size in bytes of option opt (reading its digits); 0 for options without one. */
static uint64_t st_optsize(lua_State *L, int opt, const unsigned char **fmt) {
  switch (opt) {
    case 'b': case 'B': return 1;
    case 'h': case 'H': return 2;
    case 'l': case 'L': return 8;
    case 'T': return 8;
    case 'f': return 4;
    case 'd': return 8;
    case 'x': return 1;
    case 'c': return (uint64_t)st_number(L, fmt, 1);
    case 'i': case 'I': {
      int size = st_number(L, fmt, 4);
      if (size > STRUCT_MAX_INT_SIZE)
        luaL_error(L, "integral size %d is larger than limit of %d", size,
                   STRUCT_MAX_INT_SIZE);
      return (uint64_t)size;
    }
    default: return 0;
  }
}

/* Padding needed before an item of the given size at offset pos. Sizes that are
 * not powers of 2 (i3, i5...) get the same bit-mask arithmetic as in Redis. */
static uint64_t st_padding(uint64_t pos, const StructState *st, int opt, uint64_t size) {
  if (size == 0 || opt == 'c') return 0;
  if (size > (uint64_t)st->align) size = (uint64_t)st->align;
  return (size - (pos & (size - 1))) & (size - 1);
}

/* Endianness, alignment and spaces; anything else is an invalid option. */
static void st_control(lua_State *L, int opt, const unsigned char **fmt, StructState *st) {
  switch (opt) {
    case ' ': return;
    case '>': st->endian = ST_BIG; return;
    case '<': st->endian = ST_LITTLE; return;
    case '!': {
      int a = st_number(L, fmt, STRUCT_MAX_ALIGN);
      if (a <= 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", a);
      st->align = a;
      return;
    }
    default: {
      const char *msg = lua_pushfstring(L, "invalid format option '%c'", opt);
      luaL_argerror(L, 1, msg);
    }
  }
}

static void st_init(StructState *st) {
  st->endian = ST_LITTLE;
  st->align = 1;
}

static const unsigned char *st_format(lua_State *L) {
  return (const unsigned char *)luaL_checkstring(L, 1);
}

/* Writes len bytes of memory (in little-endian order) in the wanted order. */
static void st_add_ordered(luaL_Buffer *b, const unsigned char *le, int len, int endian) {
  int i;
  if (endian == ST_LITTLE) {
    for (i = 0; i < len; i++) luaL_addchar(b, (char)le[i]);
  } else {
    for (i = len - 1; i >= 0; i--) luaL_addchar(b, (char)le[i]);
  }
}

/* The host is little-endian (wasm32 and x86-64 both are). */
static void st_le_bytes(unsigned char *out, const void *p, int len) {
  memcpy(out, p, (size_t)len);
}

/* --- pack --------------------------------------------------------------- */

static void st_put_integer(lua_State *L, luaL_Buffer *b, int arg, int endian, int size) {
  double n = (double)luaL_checknumber(L, arg);
  uint64_t value = n < 0 ? (uint64_t)st_d2i64(n) : st_d2u64(n);
  unsigned char bytes[STRUCT_MAX_INT_SIZE];
  int i;
  for (i = 0; i < size; i++) {
    bytes[i] = (unsigned char)(value & 0xff);
    value >>= 8; /* beyond 8 bytes the value is zero-extended */
  }
  st_add_ordered(b, bytes, size, endian);
}

static int st_pack(lua_State *L) {
  const unsigned char *fmt = st_format(L);
  StructState st;
  luaL_Buffer b;
  int arg = 2;
  uint64_t total = 0;
  st_init(&st);
  lua_pushnil(L); /* keeps the buffer's stack slots apart from the arguments */
  luaL_buffinit(L, &b);
  while (*fmt != '\0') {
    int opt = *fmt++;
    uint64_t size = st_optsize(L, opt, &fmt);
    uint64_t pad = st_padding(total, &st, opt, size);
    total += pad;
    while (pad-- > 0) luaL_addchar(&b, '\0');
    switch (opt) {
      case 'b': case 'B': case 'h': case 'H': case 'l': case 'L':
      case 'T': case 'i': case 'I':
        st_put_integer(L, &b, arg++, st.endian, (int)size);
        break;
      case 'x':
        luaL_addchar(&b, '\0');
        break;
      case 'f': {
        float f = (float)luaL_checknumber(L, arg++);
        unsigned char le[4];
        st_le_bytes(le, &f, 4);
        st_add_ordered(&b, le, 4, st.endian);
        break;
      }
      case 'd': {
        double d = (double)luaL_checknumber(L, arg++);
        unsigned char le[8];
        st_le_bytes(le, &d, 8);
        st_add_ordered(&b, le, 8, st.endian);
        break;
      }
      case 'c': case 's': {
        size_t len;
        const char *s = luaL_checklstring(L, arg++, &len);
        if (size == 0) size = (uint64_t)len;
        /* The argument number reported is the one after the string. */
        luaL_argcheck(L, (uint64_t)len >= size, arg, "string too short");
        luaL_addlstring(&b, s, (size_t)size);
        if (opt == 's') {
          luaL_addchar(&b, '\0');
          size++;
        }
        break;
      }
      default:
        st_control(L, opt, &fmt, &st);
        break;
    }
    total += size;
  }
  luaL_pushresult(&b);
  return 1;
}

/* --- unpack ------------------------------------------------------------- */

/* Reads len bytes stored in the given order into little-endian order. */
static void st_get_ordered(unsigned char *le, const unsigned char *p, int len, int endian) {
  int i;
  for (i = 0; i < len; i++) le[i] = p[endian == ST_LITTLE ? i : len - 1 - i];
}

static double st_get_integer(const unsigned char *p, int endian, int is_signed, int size) {
  uint64_t v = 0;
  int i;
  /* Only the last 8 bytes read survive in a 64-bit accumulator. */
  if (endian == ST_BIG) {
    for (i = 0; i < size; i++) v = (v << 8) | p[i];
  } else {
    for (i = size - 1; i >= 0; i--) v = (v << 8) | p[i];
  }
  if (!is_signed) return (double)v;
  {
    /* Sign extension from bit size*8-1; x86-64 takes shift counts modulo 64,
     * which is what sizes above 8 (and size 0) get in Redis. */
    uint64_t mask = ~(uint64_t)0 << ((unsigned)(size * 8 - 1) & 63u);
    if (v & mask) v |= mask;
    return (double)(int64_t)v;
  }
}

/* The optional offset argument, converted like lua_tointeger on x86-64. */
static int64_t st_opt_offset(lua_State *L, int arg) {
  if (lua_isnoneornil(L, arg)) return 1;
  return st_d2i64((double)luaL_checknumber(L, arg));
}

static int st_unpack(lua_State *L) {
  const unsigned char *fmt = st_format(L);
  size_t data_len;
  const unsigned char *data = (const unsigned char *)luaL_checklstring(L, 2, &data_len);
  uint64_t ld = (uint64_t)data_len;
  uint64_t pos = (uint64_t)st_opt_offset(L, 3);
  StructState st;
  int n = 0; /* results pushed */
  luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
  pos--;
  st_init(&st);
  while (*fmt != '\0') {
    int opt = *fmt++;
    uint64_t size = st_optsize(L, opt, &fmt);
    pos += st_padding(pos, &st, opt, size);
    luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    switch (opt) {
      case 'b': case 'B': case 'h': case 'H': case 'l': case 'L':
      case 'T': case 'i': case 'I':
        lua_pushnumber(L, (lua_Number)st_get_integer(data + pos, st.endian,
                                                     st_islower(opt), (int)size));
        n++;
        break;
      case 'x':
        break;
      case 'f': {
        unsigned char le[4];
        float f;
        st_get_ordered(le, data + pos, 4, st.endian);
        memcpy(&f, le, 4);
        lua_pushnumber(L, (lua_Number)f);
        n++;
        break;
      }
      case 'd': {
        unsigned char le[8];
        double d;
        st_get_ordered(le, data + pos, 8, st.endian);
        memcpy(&d, le, 8);
        lua_pushnumber(L, (lua_Number)d);
        n++;
        break;
      }
      case 'c': {
        if (size == 0) {
          /* c0: the length is the previous result, which it replaces. */
          if (n == 0 || !lua_isnumber(L, -1)) luaL_error(L, "format 'c0' needs a previous size");
          size = st_d2u64((double)lua_tonumber(L, -1));
          lua_pop(L, 1);
          n--;
          luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
        }
        lua_pushlstring(L, (const char *)data + pos, (size_t)size);
        n++;
        break;
      }
      case 's': {
        const unsigned char *start = data + pos;
        const unsigned char *end = (const unsigned char *)memchr(start, '\0', (size_t)(ld - pos));
        if (end == NULL) luaL_error(L, "unfinished string in data");
        size = (uint64_t)(end - start) + 1;
        lua_pushlstring(L, (const char *)start, (size_t)(size - 1));
        n++;
        break;
      }
      default:
        st_control(L, opt, &fmt, &st);
        break;
    }
    pos += size;
  }
  lua_pushnumber(L, (lua_Number)(int64_t)(pos + 1)); /* next position */
  return n + 1;
}

/* --- size --------------------------------------------------------------- */

static int st_size(lua_State *L) {
  const unsigned char *fmt = st_format(L);
  StructState st;
  uint64_t pos = 0;
  st_init(&st);
  while (*fmt != '\0') {
    int opt = *fmt++;
    uint64_t size = st_optsize(L, opt, &fmt);
    pos += st_padding(pos, &st, opt, size);
    if (opt == 's')
      luaL_argerror(L, 1, "option 's' has no fixed size");
    else if (opt == 'c' && size == 0)
      luaL_argerror(L, 1, "option 'c0' has no fixed size");
    /* Unknown letters and digits are silently skipped here. */
    if (!st_isalnum(opt)) st_control(L, opt, &fmt, &st);
    pos += size;
  }
  lua_pushnumber(L, (lua_Number)(int64_t)pos);
  return 1;
}

/* Registration order matters: it decides the iteration order of pairs(struct). */
static const luaL_Reg struct_functions[] = {
  {"pack", st_pack},
  {"unpack", st_unpack},
  {"size", st_size},
  {NULL, NULL}
};

int luaopen_struct(lua_State *L) {
  luaL_register(L, "struct", struct_functions);
  return 1;
}
