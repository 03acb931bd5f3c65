#!/usr/bin/env python3
"""zaccel service interop client: Python 3, standard library only (urllib, zlib, json).

Usage: python3 client.py [BASE_URL]   (default: $ZACCEL_URL, else http://127.0.0.1:8080)

Checks, one line each ("ok NAME" or "FAIL NAME: why"), then exactly "N passed, M failed";
the exit status is 1 when any check failed.

  deflate   /v1/deflate on both engines, raw/zlib/gzip, levels 1/6/9, every corpus kind;
            decoded with this language's zlib, compared byte for byte, the stream must end
            exactly (no trailing bytes); the x-zaccel-* headers must match the request.
  oracle    engine=zlib is byte-identical to this interpreter's zlib (when it is classic
            zlib, not zlib-ng); engine=dfltcc at level 1 differs from engine=zlib (the z15
            shape) and at levels 6/9 equals it (software fallback).
  inflate   compressed here, inflated by /v1/inflate on both engines, compared.
  stream    a deflate stream fed 4 KiB pages with flush=sync: after every write this
            process's incremental inflater must have produced exactly the bytes sent so far;
            an inflate stream fed this process's own sync-flushed output must answer every
            write with exactly that page.
  error     malformed input (400 + ZACCEL_* code), over-limit output (413), unknown or
            deleted stream (404), a failed stream (409).

The corpus is generated here from xorshift32 (x ^= x << 13; x ^= x >> 17; x ^= x << 5, mod 2^32);
test/interop/README.md defines it, and every client in test/interop builds the same bytes.
"""
import json
import os
import sys
import urllib.error
import urllib.request
import zlib

BASE = (sys.argv[1] if len(sys.argv) > 1 else os.environ.get('ZACCEL_URL', 'http://127.0.0.1:8080')).rstrip('/')
TIMEOUT = 120
ENGINES = ('zlib', 'dfltcc')
FORMATS = ('raw', 'zlib', 'gzip')
LEVELS = (1, 6, 9)
WBITS = {'raw': -15, 'zlib': 15, 'gzip': 31}
PAGE = 4096
STREAM_PAGES = 32

# ---------------------------------------------------------------- corpus


def xorshift32(x):
    x ^= (x << 13) & 0xFFFFFFFF
    x ^= x >> 17
    x ^= (x << 5) & 0xFFFFFFFF
    return x


WORDS = ['the', 'zaccel', 'deflate', 'inflate', 'stream', 'page', 'block', 'huffman',
         'window', 'accelerator', 'z15', 'level', 'sync', 'flush', 'channel', 'migration']


def make_random(size, seed):
    out, x = bytearray(), seed
    while len(out) < size:
        x = xorshift32(x)
        out += x.to_bytes(4, 'little')
    return bytes(out[:size])


def make_text(size, seed):
    out, x = bytearray(), seed
    while len(out) < size:
        x = xorshift32(x)
        out += WORDS[x & 15].encode() + (b'\n' if (x >> 4) & 7 == 0 else b' ')
    return bytes(out[:size])


def make_binary(records, seed):
    out, x = bytearray(), seed
    for i in range(records):
        x = xorshift32(x)
        out += i.to_bytes(4, 'little') + x.to_bytes(4, 'little')
        out += ((i * 2654435761) & 0xFFFFFFFF).to_bytes(4, 'little') + bytes(4)
    return bytes(out)


ZEROS = bytes(256 * 1024)
TEXT = make_text(128 * 1024, 0x9E3779B9)
RANDOM = make_random(64 * 1024, 0x2545F491)
BINARY = make_binary(4096, 0x01234567)
SOURCES = [ZEROS, TEXT, RANDOM, BINARY]


def page(p):
    source = SOURCES[p % 4]
    offset = (p * PAGE) % len(source)
    return source[offset:offset + PAGE]


LARGE = b''.join(page(p) for p in range(768))  # 3 MiB
KINDS = [('empty', b''), ('zeros', ZEROS), ('text', TEXT), ('random', RANDOM), ('binary', BINARY), ('large', LARGE)]

# ---------------------------------------------------------------- checks and HTTP

passed = failed = 0


def check(name, fn):
    """Runs fn(); it returns None (pass) or raises. One line per check."""
    global passed, failed
    try:
        fn()
        passed += 1
        print('ok   ' + name, flush=True)
    except Exception as error:  # every failure is reported, never fatal
        failed += 1
        message = ''.join(c if ' ' <= c <= '~' else '.' for c in str(error))  # one printable line
        print('FAIL %s: %s' % (name, message[:400]), flush=True)


class Fail(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Fail(message)


def request(method, path, body=None, json_body=None):
    """Returns (status, headers as a lowercase dict, body bytes); HTTP errors are answers too."""
    headers = {}
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers['content-type'] = 'application/json'
    elif body is not None:
        headers['content-type'] = 'application/octet-stream'
    req = urllib.request.Request(BASE + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def ok_body(status, body, what):
    if status != 200:
        raise Fail('%s: HTTP %d %s' % (what, status, body[:200]))
    return body


def decode_whole(data, fmt):
    """This language's zlib inflates data; the stream must end exactly where the data ends."""
    d = zlib.decompressobj(WBITS[fmt])
    out = d.decompress(data) + d.flush()
    expect(d.eof, 'the compressed stream did not end (%d bytes in)' % len(data))
    expect(d.unused_data == b'', '%d bytes after the end of the stream' % len(d.unused_data))
    return out


def own_deflate(data, fmt, level):
    c = zlib.compressobj(level, zlib.DEFLATED, WBITS[fmt], 8, zlib.Z_DEFAULT_STRATEGY)
    return c.compress(data) + c.flush()


def same(got, want, what='output'):
    if got == want:
        return
    at = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), min(len(got), len(want)))
    raise Fail('%s differs: %d bytes, expected %d, first difference at byte %d' % (what, len(got), len(want), at))


def header_counts(headers, engine, nin, nout):
    """The counts come as headers when the answer fits in the commit window, else as trailers
    (which urllib does not expose): check them when they are there."""
    expect(headers.get('x-zaccel-engine') == engine, 'x-zaccel-engine %r' % headers.get('x-zaccel-engine'))
    if 'x-zaccel-bytes-in' in headers:
        expect(int(headers['x-zaccel-bytes-in']) == nin, 'x-zaccel-bytes-in %s, sent %d' % (headers['x-zaccel-bytes-in'], nin))
        expect(int(headers['x-zaccel-bytes-out']) == nout, 'x-zaccel-bytes-out %s, got %d' % (headers['x-zaccel-bytes-out'], nout))

# ---------------------------------------------------------------- 1. /v1/deflate, decoded here


is_classic_zlib = 'ng' not in zlib.ZLIB_RUNTIME_VERSION
print('# python %s, zlib %s, server %s' % (sys.version.split()[0], zlib.ZLIB_RUNTIME_VERSION, BASE), flush=True)

outputs = {}  # (engine, format, level, kind) -> service output


def deflate_check(engine, fmt, level, kind, data):
    def run():
        status, headers, body = request('POST', '/v1/deflate?engine=%s&format=%s&level=%d' % (engine, fmt, level), data)
        ok_body(status, body, 'deflate')
        outputs[(engine, fmt, level, kind)] = body
        same(decode_whole(body, fmt), data, 'decoded output')
        expect(headers.get('x-zaccel-format') == fmt, 'x-zaccel-format %r' % headers.get('x-zaccel-format'))
        header_counts(headers, engine, len(data), len(body))
        if 'x-zaccel-fallback' in headers:
            fallback = 'true' if engine == 'dfltcc' and level != 1 else 'false'
            expect(headers['x-zaccel-fallback'] == fallback, 'x-zaccel-fallback %s, expected %s' % (headers['x-zaccel-fallback'], fallback))
    return run


for engine in ENGINES:
    for fmt in FORMATS:
        for level in LEVELS:
            for kind, data in KINDS:
                check('deflate engine=%s format=%s level=%d kind=%s' % (engine, fmt, level, kind),
                      deflate_check(engine, fmt, level, kind, data))


def oracle_zlib(fmt, level, kind, data):
    def run():
        got = outputs.get(('zlib', fmt, level, kind))
        expect(got is not None, 'no deflate output to compare')
        same(got, own_deflate(data, fmt, level), 'engine=zlib bytes vs python zlib %s' % zlib.ZLIB_RUNTIME_VERSION)
    return run


def oracle_dfltcc(fmt, level, kind):
    def run():
        accelerated, software = outputs.get(('dfltcc', fmt, level, kind)), outputs.get(('zlib', fmt, level, kind))
        expect(accelerated is not None and software is not None, 'no deflate outputs to compare')
        if level == 1:
            expect(accelerated != software, 'engine=dfltcc level 1 gave software zlib\'s exact bytes')
        else:
            same(accelerated, software, 'engine=dfltcc (software fallback) vs engine=zlib')
    return run


for fmt in FORMATS:
    for level in LEVELS:
        for kind, data in KINDS:
            if is_classic_zlib:
                check('oracle engine=zlib format=%s level=%d kind=%s same bytes as python zlib' % (fmt, level, kind),
                      oracle_zlib(fmt, level, kind, data))
        for kind in ('text', 'binary', 'large'):
            relation = 'differs from' if level == 1 else 'equals'
            check('oracle engine=dfltcc format=%s level=%d kind=%s %s engine=zlib' % (fmt, level, kind, relation),
                  oracle_dfltcc(fmt, level, kind))
if not is_classic_zlib:
    print('# skipped the byte-identity oracle: this python links %s, not classic zlib' % zlib.ZLIB_RUNTIME_VERSION)

# ---------------------------------------------------------------- 2. compressed here, /v1/inflate


def inflate_check(engine, fmt, level, data, query_format=None):
    def run():
        compressed = own_deflate(data, fmt, level)
        status, headers, body = request('POST', '/v1/inflate?engine=%s&format=%s' % (engine, query_format or fmt), compressed)
        ok_body(status, body, 'inflate')
        same(body, data, 'inflated output')
        header_counts(headers, engine, len(compressed), len(body))
    return run


for engine in ENGINES:
    for fmt in FORMATS:
        for kind, data in KINDS:
            check('inflate engine=%s format=%s level=6 kind=%s' % (engine, fmt, kind), inflate_check(engine, fmt, 6, data))
        for level in (1, 9):
            check('inflate engine=%s format=%s level=%d kind=text' % (engine, fmt, level), inflate_check(engine, fmt, level, TEXT))
    for fmt in ('zlib', 'gzip'):
        check('inflate engine=%s format=%s as auto kind=binary' % (engine, fmt), inflate_check(engine, fmt, 6, BINARY, 'auto'))

# ---------------------------------------------------------------- 3. stateful streams


def open_stream(options):
    status, _, body = request('POST', '/v1/streams', json_body=options)
    expect(status == 201, 'open: HTTP %d %s' % (status, body[:200]))
    return json.loads(body)['id']


def write(stream, data, flush):
    status, headers, body = request('POST', '/v1/streams/%s/write?flush=%s' % (stream, flush), data)
    ok_body(status, body, 'write')
    expect(headers.get('x-zaccel-stream') == stream, 'x-zaccel-stream %r' % headers.get('x-zaccel-stream'))
    return headers, body


def finish_stream(stream, nin, nout):
    status, _, body = request('GET', '/v1/streams/%s' % stream)
    ok_body(status, body, 'GET stream')
    info = json.loads(body)
    expect(info.get('state') == 'ended', 'state %r after finish' % info.get('state'))
    expect(info.get('bytesIn') == nin and info.get('bytesOut') == nout,
           'totals in %r out %r, expected %d and %d' % (info.get('bytesIn'), info.get('bytesOut'), nin, nout))
    status, _, body = request('DELETE', '/v1/streams/%s' % stream)
    ok_body(status, body, 'DELETE stream')


def deflate_stream_check(engine, fmt, level):
    def run():
        stream = open_stream({'mode': 'deflate', 'engine': engine, 'format': fmt, 'level': level})
        inflater = zlib.decompressobj(WBITS[fmt])
        sent, decoded, compressed = bytearray(), bytearray(), 0
        for p in range(STREAM_PAGES):
            data = page(p)
            _, part = write(stream, data, 'sync')
            sent += data
            compressed += len(part)
            try:
                decoded += inflater.decompress(part)
            except zlib.error as error:
                raise Fail('after write %d: %s' % (p + 1, error))
            if decoded != sent:
                same(bytes(decoded), bytes(sent), 'after write %d, what this inflater produced' % (p + 1))
        headers, part = write(stream, b'', 'finish')
        compressed += len(part)
        decoded += inflater.decompress(part) + inflater.flush()
        expect(headers.get('x-zaccel-ended') == 'true', 'x-zaccel-ended %r after finish' % headers.get('x-zaccel-ended'))
        expect(inflater.eof and inflater.unused_data == b'', 'the stream did not end exactly after finish')
        same(bytes(decoded), bytes(sent), 'after finish')
        finish_stream(stream, len(sent), compressed)
    return run


def inflate_stream_check(engine, fmt, level):
    def run():
        stream = open_stream({'mode': 'inflate', 'engine': engine, 'format': fmt})
        deflater = zlib.compressobj(level, zlib.DEFLATED, WBITS[fmt])
        total_in = total_out = 0
        for p in range(STREAM_PAGES):
            data = page(p)
            part = deflater.compress(data) + deflater.flush(zlib.Z_SYNC_FLUSH)
            _, answer = write(stream, part, 'sync')
            total_in += len(part)
            total_out += len(answer)
            same(answer, data, 'the answer to write %d' % (p + 1))
        tail = deflater.flush(zlib.Z_FINISH)
        headers, answer = write(stream, tail, 'finish')
        total_in += len(tail)
        expect(answer == b'', '%d bytes answered to the final write' % len(answer))
        expect(headers.get('x-zaccel-ended') == 'true', 'x-zaccel-ended %r after finish' % headers.get('x-zaccel-ended'))
        finish_stream(stream, total_in, total_out)
    return run


for engine in ENGINES:
    for fmt in FORMATS:
        check('stream deflate engine=%s format=%s level=1 pages=%d flush=sync' % (engine, fmt, STREAM_PAGES),
              deflate_stream_check(engine, fmt, 1))
    check('stream deflate engine=%s format=zlib level=6 pages=%d flush=sync' % (engine, STREAM_PAGES),
          deflate_stream_check(engine, 'zlib', 6))
    for fmt in FORMATS:
        check('stream inflate engine=%s format=%s pages=%d flush=sync' % (engine, fmt, STREAM_PAGES),
              inflate_stream_check(engine, fmt, 6))

# ---------------------------------------------------------------- 4. errors


def error_check(method, path, body, status, code, json_body=None):
    def run():
        got_status, _, got = request(method, path, body, json_body)
        expect(got_status == status, 'HTTP %d %s, expected %d' % (got_status, got[:200], status))
        try:
            error = json.loads(got)['error']
        except (ValueError, KeyError, TypeError):
            raise Fail('not a JSON error answer: %r' % got[:200])
        expect(error.get('code') == code, 'code %r, expected %s' % (error.get('code'), code))
        expect(isinstance(error.get('message'), str) and error['message'], 'no message')
    return run


def failed_stream_check(engine):
    def run():
        stream = open_stream({'mode': 'inflate', 'engine': engine, 'format': 'zlib'})
        error_check('POST', '/v1/streams/%s/write?flush=sync' % stream, b'this is not zlib data', 400, 'ZACCEL_DATA_ERROR')()
        error_check('POST', '/v1/streams/%s/write?flush=sync' % stream, own_deflate(TEXT, 'zlib', 6), 409, 'ZACCEL_STREAM_CLOSED')()
        request('DELETE', '/v1/streams/%s' % stream)
    return run


def stream_limit_check(engine):
    def run():
        stream = open_stream({'mode': 'inflate', 'engine': engine, 'format': 'gzip', 'maxOutput': 65536})
        error_check('POST', '/v1/streams/%s/write?flush=sync' % stream, own_deflate(bytes(1 << 20), 'gzip', 9), 413, 'ZACCEL_OUTPUT_LIMIT')()
        request('DELETE', '/v1/streams/%s' % stream)
    return run


good_zlib = own_deflate(TEXT, 'zlib', 6)
bad_adler = good_zlib[:-1] + bytes([good_zlib[-1] ^ 0x01])
bad_crc = bytearray(own_deflate(TEXT, 'gzip', 6))
bad_crc[-8] ^= 0x01
bomb = own_deflate(bytes(4 << 20), 'zlib', 9)  # 4 MiB of zeros in about 4 KiB
for engine in ENGINES:
    q = 'engine=%s' % engine
    check('error engine=%s inflate garbage -> 400 ZACCEL_DATA_ERROR' % engine,
          error_check('POST', '/v1/inflate?%s&format=zlib' % q, b'this is not zlib data', 400, 'ZACCEL_DATA_ERROR'))
    check('error engine=%s inflate bad adler32 -> 400 ZACCEL_DATA_ERROR' % engine,
          error_check('POST', '/v1/inflate?%s&format=zlib' % q, bad_adler, 400, 'ZACCEL_DATA_ERROR'))
    check('error engine=%s inflate bad gzip crc -> 400 ZACCEL_DATA_ERROR' % engine,
          error_check('POST', '/v1/inflate?%s&format=gzip' % q, bytes(bad_crc), 400, 'ZACCEL_DATA_ERROR'))
    check('error engine=%s inflate truncated gzip -> 400 ZACCEL_TRUNCATED' % engine,
          error_check('POST', '/v1/inflate?%s&format=gzip' % q, own_deflate(TEXT, 'gzip', 6)[:-100], 400, 'ZACCEL_TRUNCATED'))
    check('error engine=%s inflate trailing bytes -> 400 ZACCEL_TRAILING_DATA' % engine,
          error_check('POST', '/v1/inflate?%s&format=zlib' % q, good_zlib + b'tail', 400, 'ZACCEL_TRAILING_DATA'))
    check('error engine=%s inflate bomb maxOutput=65536 -> 413 ZACCEL_OUTPUT_LIMIT' % engine,
          error_check('POST', '/v1/inflate?%s&format=zlib&maxOutput=65536' % q, bomb, 413, 'ZACCEL_OUTPUT_LIMIT'))
    # A small body: the server reads it whole before it answers (see README.md, 'early answers').
    check('error engine=%s deflate 8 KiB random maxOutput=1024 -> 413 ZACCEL_OUTPUT_LIMIT' % engine,
          error_check('POST', '/v1/deflate?%s&level=1&maxOutput=1024' % q, RANDOM[:8192], 413, 'ZACCEL_OUTPUT_LIMIT'))
    check('error engine=%s deflate level=42 -> 400 ZACCEL_BAD_OPTION' % engine,
          error_check('POST', '/v1/deflate?%s&level=42' % q, TEXT, 400, 'ZACCEL_BAD_OPTION'))
    check('error engine=%s stream fed garbage -> 400, then 409 ZACCEL_STREAM_CLOSED' % engine, failed_stream_check(engine))
    check('error engine=%s stream inflate over maxOutput -> 413 ZACCEL_OUTPUT_LIMIT' % engine, stream_limit_check(engine))

unknown = '/v1/streams/00000000-0000-4000-8000-000000000000'
check('error unknown stream write -> 404 ZACCEL_NOT_FOUND',
      error_check('POST', unknown + '/write?flush=sync', b'data', 404, 'ZACCEL_NOT_FOUND'))
check('error unknown stream GET -> 404 ZACCEL_NOT_FOUND', error_check('GET', unknown, None, 404, 'ZACCEL_NOT_FOUND'))
check('error unknown stream DELETE -> 404 ZACCEL_NOT_FOUND', error_check('DELETE', unknown, None, 404, 'ZACCEL_NOT_FOUND'))


def deleted_stream():
    stream = open_stream({'mode': 'deflate', 'format': 'raw'})
    status, _, body = request('DELETE', '/v1/streams/%s' % stream)
    ok_body(status, body, 'DELETE stream')
    error_check('POST', '/v1/streams/%s/write?flush=sync' % stream, b'data', 404, 'ZACCEL_NOT_FOUND')()


check('error deleted stream write -> 404 ZACCEL_NOT_FOUND', deleted_stream)
check('error unknown engine -> 400 ZACCEL_BAD_OPTION',
      error_check('POST', '/v1/deflate?engine=nonesuch', TEXT, 400, 'ZACCEL_BAD_OPTION'))
check('error stream without mode -> 400 ZACCEL_BAD_OPTION',
      error_check('POST', '/v1/streams', None, 400, 'ZACCEL_BAD_OPTION', json_body={'format': 'zlib'}))

print('%d passed, %d failed' % (passed, failed), flush=True)
sys.exit(1 if failed else 0)
