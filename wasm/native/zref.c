/*
 * zref: the native reference for zaccel's tests and benchmarks. It is built
 * with gcc from the same verified zlib 1.3.1 source as the WebAssembly module.
 *
 *   zref batch            read jobs from stdin, one per line:
 *                           deflate WINDOW_BITS LEVEL MEM_LEVEL STRATEGY INPUT DICT|-
 *                         and write each result to stdout as a 4-byte
 *                         little-endian length followed by the bytes
 *                         (length 0xFFFFFFFF and a message on stderr on failure).
 *                         WINDOW_BITS carries the format as zlib does:
 *                         negative = raw, 8..15 = zlib, 24..31 = gzip.
 *   zref bench deflate LEVEL CHUNK SECONDS FILE
 *   zref bench inflate LEVEL CHUNK SECONDS FILE
 *                         compress (or compress once, then inflate) FILE in
 *                         CHUNK-byte pieces through one stream, repeatedly for
 *                         at least SECONDS, and print JSON with the bytes and
 *                         the time taken.
 *   zref oneshot deflate LEVEL SECONDS FILE
 *   zref oneshot inflate LEVEL SECONDS FILE
 *                         the whole-buffer calls C programs make: deflate is
 *                         compress2() (one deflate(Z_FINISH) into a
 *                         deflateBound() buffer); inflate is uncompress() (one
 *                         inflate(Z_FINISH) into a buffer of the known
 *                         uncompressed size), repeatedly for at least SECONDS,
 *                         with the same JSON (chunk 0).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zlib.h"

static unsigned char *read_file(const char *path, size_t *length) {
  FILE *file = fopen(path, "rb");
  if (file == NULL) {
    fprintf(stderr, "zref: cannot open %s: %s\n", path, strerror(errno));
    return NULL;
  }
  size_t capacity = 1 << 16, used = 0;
  unsigned char *data = malloc(capacity);
  for (;;) {
    if (used == capacity) {
      capacity *= 2;
      data = realloc(data, capacity);
    }
    size_t got = fread(data + used, 1, capacity - used, file);
    used += got;
    if (got == 0) break;
  }
  fclose(file);
  *length = used;
  return data;
}

static int write_result(const unsigned char *data, uint32_t length) {
  unsigned char header[4] = {length & 0xff, (length >> 8) & 0xff, (length >> 16) & 0xff,
                             (length >> 24) & 0xff};
  return fwrite(header, 1, 4, stdout) == 4 && fwrite(data, 1, length, stdout) == length;
}

static int deflate_job(int window_bits, int level, int mem_level, int strategy, const char *input_path,
                       const char *dict_path) {
  size_t input_length = 0, dict_length = 0;
  unsigned char *input = read_file(input_path, &input_length);
  unsigned char *dict = NULL;
  if (input == NULL) return 0;
  if (strcmp(dict_path, "-") != 0 && (dict = read_file(dict_path, &dict_length)) == NULL) return 0;

  z_stream strm;
  memset(&strm, 0, sizeof strm);
  int status = deflateInit2(&strm, level, Z_DEFLATED, window_bits, mem_level, strategy);
  if (status == Z_OK && dict != NULL) status = deflateSetDictionary(&strm, dict, (uInt)dict_length);
  if (status != Z_OK) {
    fprintf(stderr, "zref: deflate init failed: %d\n", status);
    return 0;
  }
  uLong bound = deflateBound(&strm, input_length);
  unsigned char *output = malloc(bound + 64);
  strm.next_in = input;
  strm.avail_in = (uInt)input_length;
  strm.next_out = output;
  strm.avail_out = (uInt)(bound + 64);
  status = deflate(&strm, Z_FINISH);
  int ok = status == Z_STREAM_END;
  if (!ok) fprintf(stderr, "zref: deflate returned %d\n", status);
  else ok = write_result(output, (uint32_t)strm.total_out);
  deflateEnd(&strm);
  free(output);
  free(input);
  free(dict);
  return ok;
}

static int batch(void) {
  char line[8192];
  while (fgets(line, sizeof line, stdin) != NULL) {
    char verb[32], input[4096], dict[4096];
    int window_bits, level, mem_level, strategy;
    if (line[0] == '\n') continue;
    if (sscanf(line, "%31s %d %d %d %d %4095s %4095s", verb, &window_bits, &level, &mem_level, &strategy,
               input, dict) != 7 ||
        strcmp(verb, "deflate") != 0) {
      fprintf(stderr, "zref: bad job line: %s", line);
      return 2;
    }
    if (!deflate_job(window_bits, level, mem_level, strategy, input, dict)) {
      static const unsigned char failed[4] = {0xff, 0xff, 0xff, 0xff};
      fwrite(failed, 1, 4, stdout);
    }
    fflush(stdout);
  }
  return 0;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Compress the whole input through one stream, CHUNK bytes per deflate call. */
static size_t compress_once(const unsigned char *input, size_t length, int level, size_t chunk,
                            unsigned char *output, size_t output_capacity) {
  z_stream strm;
  memset(&strm, 0, sizeof strm);
  if (deflateInit2(&strm, level, Z_DEFLATED, MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
  strm.next_out = output;
  strm.avail_out = (uInt)output_capacity;
  size_t offset = 0;
  int status;
  do {
    size_t piece = length - offset < chunk ? length - offset : chunk;
    strm.next_in = (unsigned char *)input + offset;
    strm.avail_in = (uInt)piece;
    offset += piece;
    status = deflate(&strm, offset == length ? Z_FINISH : Z_NO_FLUSH);
  } while (offset < length);
  size_t produced = status == Z_STREAM_END ? strm.total_out : 0;
  deflateEnd(&strm);
  return produced;
}

/* Inflate the whole stream, CHUNK bytes of output per inflate call. */
static size_t inflate_once(const unsigned char *input, size_t length, size_t chunk, unsigned char *output) {
  z_stream strm;
  memset(&strm, 0, sizeof strm);
  if (inflateInit2(&strm, MAX_WBITS) != Z_OK) return 0;
  strm.next_in = (unsigned char *)input;
  strm.avail_in = (uInt)length;
  int status;
  size_t produced = 0;
  do {
    strm.next_out = output;
    strm.avail_out = (uInt)chunk;
    status = inflate(&strm, Z_NO_FLUSH);
    produced += chunk - strm.avail_out;
  } while (status == Z_OK);
  inflateEnd(&strm);
  return status == Z_STREAM_END ? produced : 0;
}

static int bench(const char *mode, int level, size_t chunk, double seconds, const char *path) {
  size_t length = 0;
  unsigned char *input = read_file(path, &length);
  if (input == NULL || chunk == 0) return 2;
  size_t capacity = length + length / 1000 + 4096; /* deflate's worst case is well inside this */
  unsigned char *compressed = malloc(capacity);
  size_t compressed_length = compress_once(input, length, level, chunk, compressed, capacity);
  if (compressed_length == 0) {
    fprintf(stderr, "zref: compression failed\n");
    return 1;
  }
  int inflating = strcmp(mode, "inflate") == 0;
  unsigned char *scratch = malloc(inflating ? chunk : capacity);
  size_t rounds = 0;
  double start = now_seconds(), elapsed;
  do {
    size_t produced = inflating ? inflate_once(compressed, compressed_length, chunk, scratch)
                                : compress_once(input, length, level, chunk, scratch, capacity);
    if (produced == 0 || (inflating && produced != length)) {
      fprintf(stderr, "zref: %s round failed\n", mode);
      return 1;
    }
    rounds++;
    elapsed = now_seconds() - start;
  } while (elapsed < seconds);
  printf("{\"mode\":\"%s\",\"level\":%d,\"chunk\":%zu,\"bytes\":%zu,\"compressedBytes\":%zu,"
         "\"rounds\":%zu,\"seconds\":%.9f}\n",
         mode, level, chunk, length, compressed_length, rounds, elapsed);
  free(scratch);
  free(compressed);
  free(input);
  return 0;
}

/*
 * compress2() and uncompress(), as zlib's compress.c and uncompr.c do them for
 * buffers under 4 GiB: one init, one call, one end. (Those two files are not
 * in the build's source list, which the WebAssembly module shares.)
 */
static int whole_deflate(unsigned char *dest, uLongf *dest_length, const unsigned char *source, uLong length,
                         int level) {
  z_stream strm;
  memset(&strm, 0, sizeof strm);
  int status = deflateInit(&strm, level);
  if (status != Z_OK) return status;
  strm.next_in = (unsigned char *)source;
  strm.avail_in = (uInt)length;
  strm.next_out = dest;
  strm.avail_out = (uInt)*dest_length;
  status = deflate(&strm, Z_FINISH);
  *dest_length = strm.total_out;
  deflateEnd(&strm);
  return status == Z_STREAM_END ? Z_OK : Z_BUF_ERROR;
}

static int whole_inflate(unsigned char *dest, uLongf *dest_length, const unsigned char *source, uLong length) {
  z_stream strm;
  memset(&strm, 0, sizeof strm);
  int status = inflateInit(&strm);
  if (status != Z_OK) return status;
  strm.next_in = (unsigned char *)source;
  strm.avail_in = (uInt)length;
  strm.next_out = dest;
  strm.avail_out = (uInt)*dest_length;
  status = inflate(&strm, Z_FINISH);
  *dest_length = strm.total_out;
  inflateEnd(&strm);
  return status == Z_STREAM_END ? Z_OK : Z_DATA_ERROR;
}

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whole-buffer calls, as C programs make them. Also reports the CPU time, steadier than wall time on a busy machine. */
static int oneshot(const char *mode, int level, double seconds, const char *path) {
  size_t length = 0;
  unsigned char *input = read_file(path, &length);
  if (input == NULL) return 2;
  uLong bound = (uLong)length + (uLong)length / 1000 + 4096; /* above compressBound() */
  unsigned char *compressed = malloc(bound);
  uLongf compressed_length = bound;
  if (whole_deflate(compressed, &compressed_length, input, (uLong)length, level) != Z_OK) {
    fprintf(stderr, "zref: compression failed\n");
    return 1;
  }
  int inflating = strcmp(mode, "inflate") == 0;
  unsigned char *scratch = malloc(inflating ? (length > 0 ? length : 1) : bound);
  size_t rounds = 0;
  double start = now_seconds(), cpu_start = cpu_seconds(), elapsed;
  do {
    int status;
    if (inflating) {
      uLongf produced = (uLongf)length;
      status = whole_inflate(scratch, &produced, compressed, compressed_length);
      if (status == Z_OK && produced != length) status = Z_DATA_ERROR;
    } else {
      uLongf produced = bound;
      status = whole_deflate(scratch, &produced, input, (uLong)length, level);
    }
    if (status != Z_OK) {
      fprintf(stderr, "zref: oneshot %s round failed: %d\n", mode, status);
      return 1;
    }
    rounds++;
    elapsed = now_seconds() - start;
  } while (elapsed < seconds);
  printf("{\"mode\":\"%s\",\"level\":%d,\"chunk\":0,\"bytes\":%zu,\"compressedBytes\":%lu,"
         "\"rounds\":%zu,\"seconds\":%.9f,\"cpuSeconds\":%.9f}\n",
         mode, level, length, (unsigned long)compressed_length, rounds, elapsed, cpu_seconds() - cpu_start);
  free(scratch);
  free(compressed);
  free(input);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "batch") == 0) return batch();
  if (argc == 7 && strcmp(argv[1], "bench") == 0 &&
      (strcmp(argv[2], "deflate") == 0 || strcmp(argv[2], "inflate") == 0))
    return bench(argv[2], atoi(argv[3]), (size_t)strtoul(argv[4], NULL, 10), atof(argv[5]), argv[6]);
  if (argc == 6 && strcmp(argv[1], "oneshot") == 0 &&
      (strcmp(argv[2], "deflate") == 0 || strcmp(argv[2], "inflate") == 0))
    return oneshot(argv[2], atoi(argv[3]), atof(argv[4]), argv[5]);
  fprintf(stderr,
          "usage: zref batch < jobs\n"
          "       zref bench deflate|inflate LEVEL CHUNK SECONDS FILE\n"
          "       zref oneshot deflate|inflate LEVEL SECONDS FILE\n");
  return 2;
}
