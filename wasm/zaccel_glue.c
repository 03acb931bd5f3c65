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

/* --- snapshots ------------------------------------------------------------
 *
 * A stream's whole zlib state as one flat blob, and a stream rebuilt from
 * such a blob in another arena (of this Machine or of another one, in this
 * thread or another). Restoring does the pointer fix-ups that deflateCopy
 * and inflateCopy do: zlib keeps pointers into its own allocations, so a
 * byte copy of the state is only valid at its original address.
 *
 * Blob layout (little-endian u32 words, then byte sections, each starting at
 * a multiple of 16 so the sections can be copied as they lie):
 *
 *   deflate: SNAPSHOT_WORDS header words (see below), the z_stream, the
 *            deflate_state, then window (w_size * 2), prev (w_size Pos),
 *            head (hash_size Pos), pending_buf (lit_bufsize * LIT_BUFS).
 *   inflate: the header words, the z_stream, the inflate_state, then the
 *            window (1 << wbits bytes) when zlib has allocated it.
 *
 * Pointers to static data (the static tree descriptors, the fixed inflate
 * tables, zlib's messages) are kept as they are: the host only restores a
 * blob into the same wasm module (it compares the modules' SHA-256), whose
 * static data sits at the same addresses.
 */
#define DEFLATE_SNAPSHOT_MAGIC 0x3153445au /* "ZDS1" */
#define INFLATE_SNAPSHOT_MAGIC 0x3153495au /* "ZIS1" */
#define SNAPSHOT_WORDS 12u
#define SNAPSHOT_HEADER ALIGN_UP(SNAPSHOT_WORDS * 4u)

enum snapshot_word {
  WORD_MAGIC,           /* which kind of state */
  WORD_STREAM_SIZE,     /* sizeof(z_stream) */
  WORD_STATE_SIZE,      /* sizeof(deflate_state) or sizeof(struct inflate_state) */
  WORD_TOTAL,           /* the blob's length in bytes */
  WORD_OLD_STATE,       /* the state's address when the blob was made (inflate: to relocate into codes[]) */
  WORD_WINDOW_BYTES,    /* deflate: w_size * 2; inflate: window bytes, 0 when none */
  WORD_PREV_BYTES,      /* deflate: w_size * sizeof(Pos) */
  WORD_HEAD_BYTES,      /* deflate: hash_size * sizeof(Pos) */
  WORD_PENDING_BYTES,   /* deflate: lit_bufsize * LIT_BUFS */
  WORD_PENDING_OUT,     /* deflate: pending_out - pending_buf */
  WORD_RESERVED_1,
  WORD_RESERVED_2,
};

static void copy_bytes(void *to, const void *from, uint32_t length) {
  unsigned char *target = (unsigned char *)to;
  const unsigned char *source = (const unsigned char *)from;
  for (uint32_t i = 0; i < length; i++) target[i] = source[i];
}

/* Section offsets inside a blob, from its header words. */
typedef struct sections {
  uint32_t stream, state, window, prev, head, pending, end;
} sections;

static sections deflate_sections(const uint32_t *words) {
  sections at;
  at.stream = SNAPSHOT_HEADER;
  at.state = at.stream + ALIGN_UP(words[WORD_STREAM_SIZE]);
  at.window = at.state + ALIGN_UP(words[WORD_STATE_SIZE]);
  at.prev = at.window + ALIGN_UP(words[WORD_WINDOW_BYTES]);
  at.head = at.prev + ALIGN_UP(words[WORD_PREV_BYTES]);
  at.pending = at.head + ALIGN_UP(words[WORD_HEAD_BYTES]);
  at.end = at.pending + ALIGN_UP(words[WORD_PENDING_BYTES]);
  return at;
}

static sections inflate_sections(const uint32_t *words) {
  sections at;
  at.stream = SNAPSHOT_HEADER;
  at.state = at.stream + ALIGN_UP(words[WORD_STREAM_SIZE]);
  at.window = at.state + ALIGN_UP(words[WORD_STATE_SIZE]);
  at.prev = at.head = at.pending = at.window + ALIGN_UP(words[WORD_WINDOW_BYTES]);
  at.end = at.pending;
  return at;
}

/* The header words a deflate stream's blob has; false when the stream cannot be snapshot. */
static int deflate_words(z_stream *strm, uint32_t *words) {
  deflate_state *s = (deflate_state *)strm->state;
  /* deflateStateCheck's conditions, and no gzip header of the caller's (zaccel never sets one). */
  if (s == Z_NULL || s->strm != strm || s->gzhead != Z_NULL) return 0;
  for (uint32_t i = 0; i < SNAPSHOT_WORDS; i++) words[i] = 0;
  words[WORD_MAGIC] = DEFLATE_SNAPSHOT_MAGIC;
  words[WORD_STREAM_SIZE] = sizeof(z_stream);
  words[WORD_STATE_SIZE] = sizeof(deflate_state);
  words[WORD_OLD_STATE] = (uint32_t)(uintptr_t)s;
  words[WORD_WINDOW_BYTES] = s->w_size * 2u;
  words[WORD_PREV_BYTES] = s->w_size * (uint32_t)sizeof(Pos);
  words[WORD_HEAD_BYTES] = s->hash_size * (uint32_t)sizeof(Pos);
  words[WORD_PENDING_BYTES] = s->lit_bufsize * LIT_BUFS;
  words[WORD_PENDING_OUT] = (uint32_t)(s->pending_out - s->pending_buf);
  words[WORD_TOTAL] = deflate_sections(words).end;
  return 1;
}

/* Bytes of the blob zaccel_deflate_snapshot writes for this stream; 0 when it cannot. */
EXPORT(zaccel_deflate_snapshot_size)
uint32_t zaccel_deflate_snapshot_size(z_stream *strm) {
  uint32_t words[SNAPSHOT_WORDS];
  return deflate_words(strm, words) ? words[WORD_TOTAL] : 0;
}

/* Write the blob (zaccel_deflate_snapshot_size bytes) to `out`. Returns Z_OK or Z_STREAM_ERROR. */
EXPORT(zaccel_deflate_snapshot)
int zaccel_deflate_snapshot(z_stream *strm, unsigned char *out) {
  uint32_t words[SNAPSHOT_WORDS];
  if (!deflate_words(strm, words)) return Z_STREAM_ERROR;
  deflate_state *s = (deflate_state *)strm->state;
  sections at = deflate_sections(words);
  for (uint32_t i = 0; i < at.end; i++) out[i] = 0;
  copy_bytes(out, words, sizeof(words));
  copy_bytes(out + at.stream, strm, sizeof(z_stream));
  copy_bytes(out + at.state, s, sizeof(deflate_state));
  copy_bytes(out + at.window, s->window, words[WORD_WINDOW_BYTES]);
  copy_bytes(out + at.prev, s->prev, words[WORD_PREV_BYTES]);
  copy_bytes(out + at.head, s->head, words[WORD_HEAD_BYTES]);
  copy_bytes(out + at.pending, s->pending_buf, words[WORD_PENDING_BYTES]);
  return Z_OK;
}

/*
 * The z_stream fields a restored stream keeps from the blob (counters, check
 * value, data type, message); its buffers are the caller's business and
 * start empty, and its allocator is the new arena's.
 */
static void adopt_stream_fields(z_stream *strm, const z_stream *saved, struct internal_state *state) {
  strm->next_in = Z_NULL;
  strm->avail_in = 0;
  strm->total_in = saved->total_in;
  strm->next_out = Z_NULL;
  strm->avail_out = 0;
  strm->total_out = saved->total_out;
  strm->msg = saved->msg;
  strm->state = state;
  strm->data_type = saved->data_type;
  strm->adler = saved->adler;
  strm->reserved = saved->reserved;
}

/* The statuses deflateStateCheck accepts. */
static int deflate_status_known(int status) {
  return status == INIT_STATE || status == GZIP_STATE || status == EXTRA_STATE || status == NAME_STATE ||
         status == COMMENT_STATE || status == HCRC_STATE || status == BUSY_STATE || status == FINISH_STATE;
}

/*
 * The fields deflate indexes its buffers with, within their buffers. The host
 * checks a snapshot's SHA-256, which catches damage but not a forgery; these
 * checks keep a forged state from making zlib write outside its own arena.
 */
static int deflate_indexes_valid(const deflate_state *s, uint32_t pending_out) {
  ulg window = 2ul * s->w_size;
  return s->window_size == window && s->w_mask == s->w_size - 1 && s->hash_mask == s->hash_size - 1 &&
         s->hash_shift == (s->hash_bits + MIN_MATCH - 1) / MIN_MATCH && s->strstart <= window &&
         s->lookahead <= window - s->strstart && s->block_start <= (long)s->strstart && s->prev_length <= MAX_MATCH &&
         s->insert <= s->strstart && s->high_water <= window && s->pending_buf_size == (ulg)s->lit_bufsize * 4 &&
         s->sym_end == (s->lit_bufsize - 1) * 3 && s->sym_next <= s->sym_end && s->bi_valid >= 0 && s->bi_valid <= 16 &&
         pending_out <= s->pending_buf_size && s->pending <= s->pending_buf_size - pending_out;
}

/*
 * Rebuild a deflate stream from a blob in a fresh arena. The arena must be
 * at least zaccel_deflate_arena_size() for the stream's windowBits and
 * memLevel: the allocations are deflateInit2_'s, in its order. Returns the
 * stream's address, Z_DATA_ERROR (<0) for a blob that is not a deflate
 * state of this build, or Z_MEM_ERROR when the arena is too small.
 */
EXPORT(zaccel_deflate_restore)
intptr_t zaccel_deflate_restore(arena *a, uint32_t size, const unsigned char *blob, uint32_t length) {
  uint32_t words[SNAPSHOT_WORDS];
  if (length < SNAPSHOT_HEADER) return Z_DATA_ERROR;
  copy_bytes(words, blob, sizeof(words));
  if (words[WORD_MAGIC] != DEFLATE_SNAPSHOT_MAGIC || words[WORD_STREAM_SIZE] != sizeof(z_stream) ||
      words[WORD_STATE_SIZE] != sizeof(deflate_state) || words[WORD_TOTAL] != length) {
    return Z_DATA_ERROR;
  }
  sections at = deflate_sections(words);
  if (at.end != length) return Z_DATA_ERROR;
  deflate_state saved;
  copy_bytes(&saved, blob + at.state, sizeof(deflate_state));
  /* The sizes the sections claim must be the ones the state's own parameters give. */
  if (saved.w_bits < 8 || saved.w_bits > MAX_WBITS || saved.w_size != (1u << saved.w_bits) ||
      saved.hash_bits < 8 || saved.hash_bits > MAX_MEM_LEVEL + 7 || saved.hash_size != (1u << saved.hash_bits) ||
      saved.lit_bufsize != (1u << (saved.hash_bits - 1)) || !deflate_indexes_valid(&saved, words[WORD_PENDING_OUT]) ||
      words[WORD_WINDOW_BYTES] != saved.w_size * 2u || words[WORD_PREV_BYTES] != saved.w_size * sizeof(Pos) ||
      words[WORD_HEAD_BYTES] != saved.hash_size * sizeof(Pos) ||
      words[WORD_PENDING_BYTES] != saved.lit_bufsize * LIT_BUFS ||
      words[WORD_PENDING_OUT] > words[WORD_PENDING_BYTES] ||
      saved.pending > words[WORD_PENDING_BYTES] - words[WORD_PENDING_OUT] || !deflate_status_known(saved.status) ||
      saved.level < 0 || saved.level > 9 || saved.strategy < 0 || saved.strategy > Z_FIXED) {
    return Z_DATA_ERROR;
  }
  z_stream *strm = arena_stream(a, size);
  if (strm == Z_NULL) return Z_MEM_ERROR;
  deflate_state *s = (deflate_state *)arena_alloc(a, 1, sizeof(deflate_state));
  Bytef *window = (Bytef *)arena_alloc(a, saved.w_size, 2 * sizeof(Byte));
  Posf *prev = (Posf *)arena_alloc(a, saved.w_size, sizeof(Pos));
  Posf *head = (Posf *)arena_alloc(a, saved.hash_size, sizeof(Pos));
  uchf *pending_buf = (uchf *)arena_alloc(a, saved.lit_bufsize, LIT_BUFS);
  if (s == Z_NULL || window == Z_NULL || prev == Z_NULL || head == Z_NULL || pending_buf == Z_NULL) return Z_MEM_ERROR;

  z_stream saved_stream;
  copy_bytes(&saved_stream, blob + at.stream, sizeof(z_stream));
  adopt_stream_fields(strm, &saved_stream, (struct internal_state *)s);
  copy_bytes(s, &saved, sizeof(deflate_state));
  copy_bytes(window, blob + at.window, words[WORD_WINDOW_BYTES]);
  copy_bytes(prev, blob + at.prev, words[WORD_PREV_BYTES]);
  copy_bytes(head, blob + at.head, words[WORD_HEAD_BYTES]);
  copy_bytes(pending_buf, blob + at.pending, words[WORD_PENDING_BYTES]);

  /* deflateCopy's fix-ups: every pointer into the stream's own allocations. */
  s->strm = strm;
  s->window = window;
  s->prev = prev;
  s->head = head;
  s->pending_buf = pending_buf;
  s->pending_out = pending_buf + words[WORD_PENDING_OUT];
#ifdef LIT_MEM
  s->d_buf = (ushf *)(pending_buf + (s->lit_bufsize << 1));
  s->l_buf = pending_buf + (s->lit_bufsize << 2);
#else
  s->sym_buf = pending_buf + s->lit_bufsize;
#endif
  s->l_desc.dyn_tree = s->dyn_ltree;
  s->d_desc.dyn_tree = s->dyn_dtree;
  s->bl_desc.dyn_tree = s->bl_tree;
  s->gzhead = Z_NULL;
  return (intptr_t)strm;
}

static int inflate_words(z_stream *strm, uint32_t *words) {
  struct inflate_state *state = (struct inflate_state *)strm->state;
  if (state == Z_NULL || state->strm != strm || state->head != Z_NULL || state->mode < HEAD || state->mode > SYNC) return 0;
  for (uint32_t i = 0; i < SNAPSHOT_WORDS; i++) words[i] = 0;
  words[WORD_MAGIC] = INFLATE_SNAPSHOT_MAGIC;
  words[WORD_STREAM_SIZE] = sizeof(z_stream);
  words[WORD_STATE_SIZE] = sizeof(struct inflate_state);
  words[WORD_OLD_STATE] = (uint32_t)(uintptr_t)state;
  words[WORD_WINDOW_BYTES] = state->window == Z_NULL ? 0 : 1u << state->wbits;
  words[WORD_TOTAL] = inflate_sections(words).end;
  return 1;
}

EXPORT(zaccel_inflate_snapshot_size)
uint32_t zaccel_inflate_snapshot_size(z_stream *strm) {
  uint32_t words[SNAPSHOT_WORDS];
  return inflate_words(strm, words) ? words[WORD_TOTAL] : 0;
}

EXPORT(zaccel_inflate_snapshot)
int zaccel_inflate_snapshot(z_stream *strm, unsigned char *out) {
  uint32_t words[SNAPSHOT_WORDS];
  if (!inflate_words(strm, words)) return Z_STREAM_ERROR;
  struct inflate_state *state = (struct inflate_state *)strm->state;
  sections at = inflate_sections(words);
  for (uint32_t i = 0; i < at.end; i++) out[i] = 0;
  copy_bytes(out, words, sizeof(words));
  copy_bytes(out + at.stream, strm, sizeof(z_stream));
  copy_bytes(out + at.state, state, sizeof(struct inflate_state));
  if (words[WORD_WINDOW_BYTES] > 0) copy_bytes(out + at.window, state->window, words[WORD_WINDOW_BYTES]);
  return Z_OK;
}

/* A pointer of the old state into its codes[], moved to the same place in the new one; others are kept. */
static const code *relocate_code(const code *pointer, uint32_t old_state, struct inflate_state *state) {
  uintptr_t old_codes = (uintptr_t)old_state + offsetof(struct inflate_state, codes);
  uintptr_t at = (uintptr_t)pointer;
  if (at >= old_codes && at < old_codes + ENOUGH * sizeof(code)) return state->codes + (at - old_codes) / sizeof(code);
  return pointer;
}

/*
 * Rebuild an inflate stream from a blob in a fresh arena of at least
 * zaccel_inflate_arena_size() bytes, with inflateCopy's fix-ups. Returns the
 * stream's address, Z_DATA_ERROR or Z_MEM_ERROR.
 */
EXPORT(zaccel_inflate_restore)
intptr_t zaccel_inflate_restore(arena *a, uint32_t size, const unsigned char *blob, uint32_t length) {
  uint32_t words[SNAPSHOT_WORDS];
  if (length < SNAPSHOT_HEADER) return Z_DATA_ERROR;
  copy_bytes(words, blob, sizeof(words));
  if (words[WORD_MAGIC] != INFLATE_SNAPSHOT_MAGIC || words[WORD_STREAM_SIZE] != sizeof(z_stream) ||
      words[WORD_STATE_SIZE] != sizeof(struct inflate_state) || words[WORD_TOTAL] != length) {
    return Z_DATA_ERROR;
  }
  sections at = inflate_sections(words);
  if (at.end != length) return Z_DATA_ERROR;
  struct inflate_state saved;
  copy_bytes(&saved, blob + at.state, sizeof(struct inflate_state));
  uint32_t window_bytes = words[WORD_WINDOW_BYTES];
  /* wbits is 0 until a zlib header names the window when the stream was opened with windowBits 0. */
  if (saved.mode < HEAD || saved.mode > SYNC || (saved.wbits != 0 && (saved.wbits < 8 || saved.wbits > MAX_WBITS)) ||
      (window_bytes != 0 && (saved.wbits == 0 || window_bytes != (1u << saved.wbits))) || saved.wsize > window_bytes ||
      saved.whave > saved.wsize || saved.wnext > saved.wsize || saved.bits > 32) {
    return Z_DATA_ERROR;
  }
  /* The code-length counts index lens[]; they hold whatever the arena held until the TABLE mode sets them. */
  if ((saved.mode == LENLENS || saved.mode == CODELENS) &&
      (saved.have > 320 || saved.nlen > 288 || saved.ndist > 32 || saved.ncode > 19)) {
    return Z_DATA_ERROR;
  }
  /* inflate_table writes where `next` points: it must stay inside codes[] (reads through lencode and
   * distcode may point at zlib's static fixed tables, and stay inside the wasm memory whatever they hold). */
  uintptr_t old_codes = (uintptr_t)words[WORD_OLD_STATE] + offsetof(struct inflate_state, codes);
  if ((uintptr_t)saved.next < old_codes || (uintptr_t)saved.next > old_codes + ENOUGH * sizeof(code)) return Z_DATA_ERROR;
  z_stream *strm = arena_stream(a, size);
  if (strm == Z_NULL) return Z_MEM_ERROR;
  struct inflate_state *state = (struct inflate_state *)arena_alloc(a, 1, sizeof(struct inflate_state));
  if (state == Z_NULL) return Z_MEM_ERROR;
  unsigned char *window = Z_NULL;
  if (window_bytes > 0) {
    window = (unsigned char *)arena_alloc(a, window_bytes, sizeof(unsigned char));
    if (window == Z_NULL) return Z_MEM_ERROR;
    copy_bytes(window, blob + at.window, window_bytes);
  }
  z_stream saved_stream;
  copy_bytes(&saved_stream, blob + at.stream, sizeof(z_stream));
  adopt_stream_fields(strm, &saved_stream, (struct internal_state *)state);
  copy_bytes(state, &saved, sizeof(struct inflate_state));

  /* inflateCopy's fix-ups: the back pointer, the window, and the pointers into codes[]. */
  state->strm = strm;
  state->window = window;
  state->head = Z_NULL;
  state->lencode = relocate_code(saved.lencode, words[WORD_OLD_STATE], state);
  state->distcode = relocate_code(saved.distcode, words[WORD_OLD_STATE], state);
  state->next = (code *)relocate_code(saved.next, words[WORD_OLD_STATE], state);
  return (intptr_t)strm;
}
