/*
 * What the parts of Redeno's Lua bridge share: the imports from the server, the
 * exchange buffer, the two Lua states, and the helpers each part offers the others.
 * See bridge.c for the overall design.
 */
#ifndef REDENO_BRIDGE_H
#define REDENO_BRIDGE_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"
#include "sandbox.h"

/* Read-only tables: added to Lua by our patch (tools/lua_wasm/patches). */
void lua_enablereadonlytable(lua_State *L, int idx, int enabled);

#define IMPORT(name) __attribute__((import_module("redeno"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

/* Runs the command whose arguments are in the exchange buffer; the RESP reply is put
 * back there and its length returned. `resp` is the protocol the script speaks. */
IMPORT(call) int32_t js_call(int32_t resp);
/* redis.acl_check_cmd: 1 allowed, 0 denied, -1 no such command. */
IMPORT(acl_check) int32_t js_acl_check(void);
IMPORT(log) void js_log(int32_t level, const char *text, int32_t len);
/* Writes the 40 hex digits of the SHA-1 of text to out. */
IMPORT(sha1hex) void js_sha1hex(const char *text, int32_t len, char *out);
/* redis.set_repl: 0 on success. */
IMPORT(set_repl) int32_t js_set_repl(int32_t flags);
/* Every so many instructions: 0 go on, 1 let other clients in (yield), 2 stop. */
IMPORT(tick) int32_t js_tick(void);
/* Suspends the script (JSPI) until the server has served other clients a while. */
IMPORT(yield) void js_yield(void);
/* redis.register_function while a library loads: 0, or -1 with an error set. */
IMPORT(register_function) int32_t js_register_function(int32_t ref, int32_t flags);

IMPORT(reply_null) void reply_null(void);
IMPORT(reply_int) void reply_int(int64_t value);
IMPORT(reply_bulk) void reply_bulk(const char *text, int32_t len);
IMPORT(reply_status) void reply_status(const char *text, int32_t len);
/* An error reply; `counted`: INFO errorstats already has it (a command's own error). */
IMPORT(reply_error) void reply_error(const char *text, int32_t len, int32_t counted);
IMPORT(reply_array) void reply_array(int32_t count);
IMPORT(reply_map) void reply_map(int32_t count);
IMPORT(reply_set) void reply_set(int32_t count);
IMPORT(reply_double) void reply_double(double value);
IMPORT(reply_bool) void reply_bool(int32_t value);
IMPORT(reply_big_number) void reply_big_number(const char *text, int32_t len);
IMPORT(reply_verbatim) void reply_verbatim(const char *text, int32_t len, const char *format);
/* A script failed: message, and where (source and line; line -1 when unknown). */
IMPORT(reply_script_error)
void reply_script_error(const char *text, int32_t len, const char *source, int32_t line,
                        int32_t counted);

/* The field of an error table from redis.call/pcall saying errorstats has it already. */
#define IGNORE_STATS "ignore_error_stats_update"

/* The exchange buffer (bridge.c): data crossing between the server and the VM. */
extern char *xbuf;
extern uint32_t xlen;
char *rd_reserve(uint32_t size);
/* Copies a text into the exchange buffer (an error message for the server). */
void set_text(const char *text, size_t len);

/* The states (bridge.c). */
#define STATE_EVAL 0
#define STATE_FUNCTIONS 1
extern lua_State *states[2];
extern int state_resp[2];      /* redis.setresp, per run */
/* How a running script may let other clients in (rd_run's `yield`). */
#define YIELD_NONE 0
#define YIELD_STACK 1
#define YIELD_COROUTINE 2
/* rd_run / rd_resume: the script's coroutine yielded. */
#define RUN_SUSPENDED 2
extern int state_can_yield[2];
extern int state_loading[2];   /* a FUNCTION library is being loaded */
int running_index(lua_State *L);
/* Raises {err = "ERR <message>"}, which pcall turns back into the string. */
int raise_error(lua_State *L, const char *message);
/* Pushes {err = "ERR <message>"} as a result. */
int return_error(lua_State *L, const char *message);

/* Every so many instructions a running script checks in with the server (bridge.c). */
#define HOOK_EVERY 100000
void busy_hook(lua_State *L, lua_Debug *ar);

/* redis_api.c: the `redis` table and Redis's pcall. */
void push_redis_table(lua_State *L);
int redis_aware_pcall(lua_State *L);
int redis_log(lua_State *L);
void set_number_field(lua_State *L, const char *name, lua_Number value);
void set_function_field(lua_State *L, const char *name, lua_CFunction f);
void set_log_levels(lua_State *L);
void set_version_fields(lua_State *L);

/* resp_to_lua.c: a command's RESP reply as Lua values (pushed); returns past its end. */
const char *parse_reply(lua_State *L, const char *p, const char *end, int top);

/* lua_to_reply.c: sends the value at the top of the stack to the client, and pops it. */
void emit_value(lua_State *L, int script_resp, int depth);

/* libraries.c: forget the loading environment of a closed functions state. */
void forget_loading_env(void);

#endif
