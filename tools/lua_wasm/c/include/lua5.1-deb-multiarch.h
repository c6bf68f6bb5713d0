/* Debian's luaconf.h names this header for module paths; no modules load here. */
#define DEB_HOST_MULTIARCH "wasm32-wasi"
