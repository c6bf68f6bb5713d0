/*
 * setjmp/longjmp for Lua on WebAssembly, on top of WebAssembly exception handling.
 *
 * clang-14 with `-mllvm -wasm-enable-sjlj` rewrites every function that calls setjmp:
 * it keeps a small table of the setjmp calls made in that function (`saveSetjmp`),
 * asks which one a caught longjmp belongs to (`testSetjmp`), and turns longjmp into
 * `__wasm_longjmp`, which must throw the C longjmp tag with a pointer to {env, value}.
 * These are the runtime helpers that lowering expects. Because unwinding is done by
 * wasm exceptions and not by JavaScript, a running script stays one wasm stack, and
 * JSPI can suspend it.
 */
#include <stdint.h>
#include <stdlib.h>

typedef struct {
  uint32_t id;    /* the id stored in the jmp_buf by setjmp; 0 ends the table */
  uint32_t label; /* which setjmp call site of the function it was */
} SetjmpSlot;

static uint32_t next_setjmp_id;
static uint32_t temp_return;

/* The second result of saveSetjmp (the table's new size): clang reads it here. */
uint32_t getTempRet0(void) { return temp_return; }

SetjmpSlot *saveSetjmp(uint32_t *env, uint32_t label, SetjmpSlot *table, uint32_t size) {
  uint32_t id = ++next_setjmp_id;
  *env = id;
  for (uint32_t i = 0; i < size; i++) {
    if (table[i].id == 0) {
      table[i].id = id;
      table[i].label = label;
      table[i + 1].id = 0; /* the table has size + 1 slots: the last ends it */
      temp_return = size;
      return table;
    }
  }
  /* Full: double it. */
  uint32_t grown = size * 2;
  table = realloc(table, sizeof(SetjmpSlot) * (grown + 1));
  if (table == NULL) abort();
  table[size].id = id;
  table[size].label = label;
  table[size + 1].id = 0;
  temp_return = grown;
  return table;
}

uint32_t testSetjmp(uint32_t id, SetjmpSlot *table, uint32_t size) {
  (void)size;
  for (uint32_t i = 0; table[i].id != 0; i++) {
    if (table[i].id == id) return table[i].label;
  }
  return 0;
}

static struct {
  void *env;
  int value;
} longjmp_args;

void __wasm_longjmp(void *env, int value) {
  longjmp_args.env = env;
  longjmp_args.value = value == 0 ? 1 : value;
  __builtin_wasm_throw(1, &longjmp_args); /* tag 1: the C longjmp tag */
}
