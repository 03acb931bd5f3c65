/*
 * zaccel's glue around unmodified zlib 1.3.1, compiled to a standalone
 * WebAssembly module that imports one shared memory.
 *
 * zlib is built with Z_SOLO, so it has no allocator of its own. Every stream
 * lives in an arena that the host carved out of the shared memory: the arena
 * header, then the z_stream, then everything zlib allocates through zalloc.
 * The arena is named by strm->opaque, so no allocator state is shared between
 * threads that run this module against the same memory.
 *
 * The host never depends on the z_stream layout beyond the offsets table that
 * zaccel_stream_layout() returns.
 */
#include <stddef.h>
#include <stdint.h>

#include "zlib.h"
#include "deflate.h" /* sizeof(deflate_state), for exact arena sizing */
#include "inftrees.h"
#include "inflate.h" /* sizeof(struct inflate_state), likewise */

#define EXPORT(name) __attribute__((export_name(#name)))
#define ARENA_ALIGN 16u
#define ALIGN_UP(n) (((n) + (ARENA_ALIGN - 1u)) & ~(ARENA_ALIGN - 1u))

typedef struct arena {
  uint32_t used; /* bytes handed out, counted from the arena's start */
  uint32_t size; /* the arena's total size in bytes */
  uint32_t peak; /* the most ever used, for diagnostics */
  uint32_t failed; /* allocations refused because the arena was full */
} arena;

static voidpf arena_alloc(voidpf opaque, uInt items, uInt size) {
  arena *a = (arena *)opaque;
  uint64_t wanted = (uint64_t)items * (uint64_t)size;
  if (wanted > a->size) {
    a->failed++;
    return Z_NULL;
  }
  uint32_t bytes = ALIGN_UP((uint32_t)wanted);
  if (a->size - a->used < bytes) {
    a->failed++;
    return Z_NULL;
  }
  voidpf block = (unsigned char *)a + a->used;
  a->used += bytes;
  if (a->used > a->peak) a->peak = a->used;
  return block;
}

/* Memory is returned all at once, when the host frees the arena. */
static void arena_free(voidpf opaque, voidpf address) {
  (void)opaque;
  (void)address;
}

static z_stream *arena_stream(arena *a, uint32_t size) {
  a->used = ALIGN_UP((uint32_t)sizeof(arena));
  a->size = size;
  a->peak = a->used;
  a->failed = 0;
  z_stream *strm = (z_stream *)arena_alloc(a, 1, sizeof(z_stream));
  if (strm == Z_NULL) return Z_NULL;
  unsigned char *bytes = (unsigned char *)strm;
  for (size_t i = 0; i < sizeof(z_stream); i++) bytes[i] = 0;
  strm->zalloc = arena_alloc;
  strm->zfree = arena_free;
  strm->opaque = a;
  return strm;
}

/* Offsets of the z_stream fields the host reads and writes, and its size. */
static const uint32_t stream_layout[] = {
  sizeof(z_stream),
  offsetof(z_stream, next_in),
  offsetof(z_stream, avail_in),
  offsetof(z_stream, total_in),
  offsetof(z_stream, next_out),
  offsetof(z_stream, avail_out),
  offsetof(z_stream, total_out),
  offsetof(z_stream, msg),
  offsetof(z_stream, adler),
  offsetof(z_stream, data_type),
};

EXPORT(zaccel_stream_layout)
const uint32_t *zaccel_stream_layout(void) { return stream_layout; }

EXPORT(zaccel_stream_layout_length)
uint32_t zaccel_stream_layout_length(void) {
  return sizeof(stream_layout) / sizeof(stream_layout[0]);
}

/* The arena a deflate stream needs: exactly what deflateInit2_ allocates. */
EXPORT(zaccel_deflate_arena_size)
uint32_t zaccel_deflate_arena_size(int window_bits, int mem_level) {
  if (window_bits < 9) window_bits = 9; /* zlib turns 8 into 9 */
  if (window_bits > MAX_WBITS || mem_level < 1 || mem_level > MAX_MEM_LEVEL) return 0;
  uint32_t w_size = 1u << window_bits;
  uint32_t hash_size = 1u << (mem_level + 7);
  uint32_t lit_bufsize = 1u << (mem_level + 6);
  return ALIGN_UP((uint32_t)sizeof(arena)) + ALIGN_UP((uint32_t)sizeof(z_stream)) +
         ALIGN_UP((uint32_t)sizeof(deflate_state)) + ALIGN_UP(w_size * 2u) +
         ALIGN_UP(w_size * (uint32_t)sizeof(Pos)) + ALIGN_UP(hash_size * (uint32_t)sizeof(Pos)) +
         ALIGN_UP(lit_bufsize * 4u);
}

/* The arena an inflate stream needs: the state and a full 32 KiB window,
 * because a zlib header may ask for the largest window. */
EXPORT(zaccel_inflate_arena_size)
uint32_t zaccel_inflate_arena_size(void) {
  return ALIGN_UP((uint32_t)sizeof(arena)) + ALIGN_UP((uint32_t)sizeof(z_stream)) +
         ALIGN_UP((uint32_t)sizeof(struct inflate_state)) + (1u << MAX_WBITS);
}

/* Returns the stream's address, or a zlib status (<= 0) when init failed. */
EXPORT(zaccel_deflate_init)
intptr_t zaccel_deflate_init(arena *a, uint32_t size, int level, int window_bits,
                             int mem_level, int strategy) {
  z_stream *strm = arena_stream(a, size);
  if (strm == Z_NULL) return Z_MEM_ERROR;
  int status = deflateInit2(strm, level, Z_DEFLATED, window_bits, mem_level, strategy);
  return status == Z_OK ? (intptr_t)strm : status;
}

EXPORT(zaccel_inflate_init)
intptr_t zaccel_inflate_init(arena *a, uint32_t size, int window_bits) {
  z_stream *strm = arena_stream(a, size);
  if (strm == Z_NULL) return Z_MEM_ERROR;
  int status = inflateInit2(strm, window_bits);
  return status == Z_OK ? (intptr_t)strm : status;
}

/* Bytes of the arena in use, for tests that check sizing. */
EXPORT(zaccel_arena_peak)
uint32_t zaccel_arena_peak(const arena *a) { return a->peak; }
