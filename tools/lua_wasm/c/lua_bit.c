/*
 * lua_bit.c - the `bit` library that Redis 7.0 exposes to Lua scripts.
 *
 * This is Redeno's own implementation, written from the observable behaviour of
 * the library in Redis 7.0.15 (LuaBitOp 1.0 semantics): every operation works on
 * 32-bit integers and returns a signed 32-bit result as a Lua number.
 *
 * Numbers are turned into 32-bit values the way LuaBitOp does on a
 * double-precision Lua: the number is added to 2^52 + 2^51, which rounds it to
 * an integer (ties to even) and leaves that integer, modulo 2^32, in the low 32
 * bits of the IEEE-754 representation. This only depends on IEEE arithmetic, so
 * it gives the same answers on wasm32 as on x86-64, for every input (NaN, the
 * infinities and huge numbers included).
 */

#include <stdint.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"

/* Argument idx as a 32-bit value (errors like luaL_checknumber for non-numbers). */
static uint32_t bit_arg(lua_State *L, int idx) {
  double d = (double)luaL_checknumber(L, idx);
  uint64_t bits;
  d += 6755399441055744.0; /* 2^52 + 2^51 */
  memcpy(&bits, &d, sizeof bits);
  return (uint32_t)bits;
}

/* Pushes a 32-bit result as a signed number. */
static int bit_ret(lua_State *L, uint32_t b) {
  lua_pushnumber(L, (lua_Number)(int32_t)b);
  return 1;
}

static int bit_tobit(lua_State *L) {
  return bit_ret(L, bit_arg(L, 1));
}

static int bit_bnot(lua_State *L) {
  return bit_ret(L, ~bit_arg(L, 1));
}

/* The variadic operations read argument 1 first, then the others from the last
 * one down to argument 2 (which decides which bad argument is reported). */
static int bit_band(lua_State *L) {
  uint32_t r = bit_arg(L, 1);
  int i;
  for (i = lua_gettop(L); i > 1; i--) r &= bit_arg(L, i);
  return bit_ret(L, r);
}

static int bit_bor(lua_State *L) {
  uint32_t r = bit_arg(L, 1);
  int i;
  for (i = lua_gettop(L); i > 1; i--) r |= bit_arg(L, i);
  return bit_ret(L, r);
}

static int bit_bxor(lua_State *L) {
  uint32_t r = bit_arg(L, 1);
  int i;
  for (i = lua_gettop(L); i > 1; i--) r ^= bit_arg(L, i);
  return bit_ret(L, r);
}

/* Shift counts use only their low 5 bits. */
static int bit_lshift(lua_State *L) {
  uint32_t v = bit_arg(L, 1);
  uint32_t n = bit_arg(L, 2) & 31u;
  return bit_ret(L, v << n);
}

static int bit_rshift(lua_State *L) {
  uint32_t v = bit_arg(L, 1);
  uint32_t n = bit_arg(L, 2) & 31u;
  return bit_ret(L, v >> n);
}

static int bit_arshift(lua_State *L) {
  uint32_t v = bit_arg(L, 1);
  uint32_t n = bit_arg(L, 2) & 31u;
  uint32_t r = v >> n;
  /* Arithmetic shift: replicate the sign bit into the vacated positions. */
  if ((v & 0x80000000u) && n != 0) r |= ~(0xffffffffu >> n);
  return bit_ret(L, r);
}

static int bit_rol(lua_State *L) {
  uint32_t v = bit_arg(L, 1);
  uint32_t n = bit_arg(L, 2) & 31u;
  return bit_ret(L, n == 0 ? v : (v << n) | (v >> (32u - n)));
}

static int bit_ror(lua_State *L) {
  uint32_t v = bit_arg(L, 1);
  uint32_t n = bit_arg(L, 2) & 31u;
  return bit_ret(L, n == 0 ? v : (v >> n) | (v << (32u - n)));
}

static int bit_bswap(lua_State *L) {
  uint32_t v = bit_arg(L, 1);
  uint32_t r = (v >> 24) | ((v >> 8) & 0xff00u) | ((v & 0xff00u) << 8) | (v << 24);
  return bit_ret(L, r);
}

/* tohex(x [, n]): the low |n| hex digits of x (n defaults to 8, is capped at 8);
 * a negative n asks for upper-case digits. */
static int bit_tohex(lua_State *L) {
  uint32_t v = bit_arg(L, 1);
  int32_t n = lua_isnone(L, 2) ? 8 : (int32_t)bit_arg(L, 2);
  const char *digits = "0123456789abcdef";
  char out[8];
  int i;
  if (n < 0) {
    /* -2^31 has no positive counterpart; Redis gives 8 upper-case digits. */
    n = n == INT32_MIN ? 8 : -n;
    digits = "0123456789ABCDEF";
  }
  if (n > 8) n = 8;
  for (i = (int)n - 1; i >= 0; i--) {
    out[i] = digits[v & 15u];
    v >>= 4;
  }
  lua_pushlstring(L, out, (size_t)n);
  return 1;
}

/* Registration order matters: it decides the iteration order of pairs(bit). */
static const luaL_Reg bit_functions[] = {
  {"tobit", bit_tobit},
  {"bnot", bit_bnot},
  {"band", bit_band},
  {"bor", bit_bor},
  {"bxor", bit_bxor},
  {"lshift", bit_lshift},
  {"rshift", bit_rshift},
  {"arshift", bit_arshift},
  {"rol", bit_rol},
  {"ror", bit_ror},
  {"bswap", bit_bswap},
  {"tohex", bit_tohex},
  {NULL, NULL}
};

int luaopen_bit(lua_State *L) {
  luaL_register(L, "bit", bit_functions);
  return 1;
}
