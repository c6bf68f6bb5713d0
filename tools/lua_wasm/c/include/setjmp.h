/* wasi-libc has no setjmp.h: the declarations clang's wasm setjmp lowering rewrites. */
#ifndef REDENO_SETJMP_H
#define REDENO_SETJMP_H
typedef unsigned long jmp_buf[8];
int setjmp(jmp_buf env);
_Noreturn void longjmp(jmp_buf env, int value);
#define _setjmp setjmp
#define _longjmp longjmp
#endif
