// zaccel service interop client: Java 17, standard library only (java.net.http, java.util.zip).
//
// Usage: java Client.java [BASE_URL]   (single-file source program; default: $ZACCEL_URL, else
// http://127.0.0.1:8080)
//
// Checks, one line each ("ok NAME" or "FAIL NAME: why"), then exactly "N passed, M failed"; the exit
// status is 1 when any check failed.
//
//   deflate  /v1/deflate on both engines, raw/zlib/gzip, levels 1/6/9, every corpus kind; decoded
//            with java.util.zip.Inflater (gzip: header and CRC-32/ISIZE trailer read here, and
//            GZIPInputStream as well), compared byte for byte, the stream must end exactly; the
//            x-zaccel-* headers must match the request.
//   oracle   engine=zlib is byte-identical to java.util.zip.Deflater for raw and zlib (when this
//            JVM's zlib is classic zlib, recognised by a fingerprint); engine=dfltcc at level 1
//            differs from engine=zlib (the z15 shape), at levels 6/9 equals it (software fallback).
//   inflate  compressed by Deflater / GZIPOutputStream, inflated by /v1/inflate on both engines.
//   stream   a deflate stream fed 4 KiB pages with flush=sync: after every write this JVM's
//            Inflater must have produced exactly the bytes sent so far; an inflate stream fed a
//            DeflaterOutputStream/GZIPOutputStream with syncFlush=true must answer every write with
//            exactly that page.
//   error    malformed input (400 + ZACCEL_* code), over-limit output (413), unknown or deleted
//            stream (404), a failed stream (409).
//
// The corpus is generated here from xorshift32 (x ^= x << 13; x ^= x >>> 17; x ^= x << 5, on a
// 32-bit int); test/interop/README.md defines it, and every client in test/interop builds the same
// bytes. The few JSON answers are read with a regular expression: they are flat and small.

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.Inflater;

public class Client {
    static String base = "http://127.0.0.1:8080";
    static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    static final List<String> ENGINES = List.of("zlib", "dfltcc");
    static final List<String> FORMATS = List.of("raw", "zlib", "gzip");
    static final int[] LEVELS = {1, 6, 9};
    static final int PAGE = 4096;
    static final int STREAM_PAGES = 32;

    // ------------------------------------------------------------ corpus

    static int xorshift32(int x) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return x;
    }

    static final String[] WORDS = {"the", "zaccel", "deflate", "inflate", "stream", "page", "block", "huffman",
            "window", "accelerator", "z15", "level", "sync", "flush", "channel", "migration"};

    static void putLE(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }

    static byte[] makeRandom(int size, int x) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (out.size() < size) {
            x = xorshift32(x);
            putLE(out, x);
        }
        return Arrays.copyOf(out.toByteArray(), size);
    }

    static byte[] makeText(int size, int x) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (out.size() < size) {
            x = xorshift32(x);
            out.writeBytes(WORDS[x & 15].getBytes(StandardCharsets.US_ASCII));
            out.write(((x >>> 4) & 7) == 0 ? '\n' : ' ');
        }
        return Arrays.copyOf(out.toByteArray(), size);
    }

    static byte[] makeBinary(int records, int x) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < records; i++) {
            x = xorshift32(x);
            putLE(out, i);
            putLE(out, x);
            putLE(out, i * (int) 2654435761L);
            putLE(out, 0);
        }
        return out.toByteArray();
    }

    static final byte[] ZEROS = new byte[256 * 1024];
    static final byte[] TEXT = makeText(128 * 1024, 0x9E3779B9);
    static final byte[] RANDOM = makeRandom(64 * 1024, 0x2545F491);
    static final byte[] BINARY = makeBinary(4096, 0x01234567);
    static final byte[][] SOURCES = {ZEROS, TEXT, RANDOM, BINARY};

    static byte[] page(int p) {
        byte[] source = SOURCES[p % 4];
        int offset = (p * PAGE) % source.length;
        return Arrays.copyOfRange(source, offset, offset + PAGE);
    }

    static byte[] large() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int p = 0; p < 768; p++) out.writeBytes(page(p)); // 3 MiB
        return out.toByteArray();
    }

    static final String[] KIND_NAMES = {"empty", "zeros", "text", "random", "binary", "large"};
    static final byte[][] KIND_DATA = {new byte[0], ZEROS, TEXT, RANDOM, BINARY, large()};

    // ------------------------------------------------------------ checks and HTTP

    static int passed = 0, failed = 0;

    interface Check {
        void run() throws Exception;
    }

    static final class Fail extends Exception {
        Fail(String message) {
            super(message);
        }
    }

    static void check(String name, Check check) {
        try {
            check.run();
            passed++;
            System.out.println("ok   " + name);
        } catch (Exception | AssertionError error) {
            failed++;
            String message = String.valueOf(error.getMessage());
            if (!(error instanceof Fail)) message = error.getClass().getSimpleName() + ": " + message;
            message = message.replaceAll("[^\\x20-\\x7e]", "."); // one printable line
            System.out.println("FAIL " + name + ": " + (message.length() > 400 ? message.substring(0, 400) : message));
        }
        System.out.flush();
    }

    static void expect(boolean condition, String message) throws Fail {
        if (!condition) throw new Fail(message);
    }

    record Answer(int status, HttpResponse<byte[]> response, byte[] body) {
        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }
    }

    static Answer request(String method, String path, byte[] body, String contentType) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120));
        if (body != null) {
            builder.header("content-type", contentType).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        } else {
            builder.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<byte[]> response = HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(response.statusCode(), response, response.body());
    }

    static Answer post(String path, byte[] body) throws Exception {
        return request("POST", path, body, "application/octet-stream");
    }

    static Answer postJson(String path, String json) throws Exception {
        return request("POST", path, json.getBytes(StandardCharsets.UTF_8), "application/json");
    }

    static String clip(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.ISO_8859_1);
        return "\"" + text.replaceAll("[^\\x20-\\x7e]", ".") + "\"";
    }

    static Answer ok(Answer a) throws Fail {
        if (a.status() != 200) throw new Fail("HTTP " + a.status() + " " + clip(a.body()));
        return a;
    }

    static String jsonString(byte[] body, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\"([^\"]*)\"").matcher(new String(body, StandardCharsets.UTF_8));
        return m.find() ? m.group(1) : null;
    }

    static Long jsonNumber(byte[] body, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*(\\d+)").matcher(new String(body, StandardCharsets.UTF_8));
        return m.find() ? Long.valueOf(m.group(1)) : null;
    }

    static void same(byte[] got, byte[] want, String what) throws Fail {
        if (Arrays.equals(got, want)) return;
        int at = Arrays.mismatch(got, want);
        throw new Fail(what + " differs: " + got.length + " bytes, expected " + want.length + ", first difference at byte " + at);
    }

    // ------------------------------------------------------------ this JVM's codecs

    /** Length of the gzip header at the start of b, or -1 when b does not hold all of it yet. */
    static int gzipHeaderLength(byte[] b) throws Fail {
        if (b.length < 10) return -1;
        expect((b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b && b[2] == 8, "not a gzip header");
        int flags = b[3] & 0xff, at = 10;
        if ((flags & 4) != 0) { // FEXTRA
            if (b.length < at + 2) return -1;
            at += 2 + ((b[at] & 0xff) | (b[at + 1] & 0xff) << 8);
        }
        for (int bit : new int[] {8, 16}) { // FNAME, FCOMMENT: zero-terminated
            if ((flags & bit) == 0) continue;
            while (at < b.length && b[at] != 0) at++;
            if (at >= b.length) return -1;
            at++;
        }
        if ((flags & 2) != 0) at += 2; // FHCRC
        return at <= b.length ? at : -1;
    }

    /**
     * java.util.zip.Inflater fed part by part. zlib: Inflater checks the header and the Adler-32;
     * gzip: the header and the CRC-32/ISIZE trailer are read here around a raw Inflater.
     */
    static final class Incremental {
        final String format;
        final Inflater inflater;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream after = new ByteArrayOutputStream(); // bytes after the deflate data
        final CRC32 crc = new CRC32();
        byte[] header = new byte[0];
        boolean headerDone;

        Incremental(String format) {
            this.format = format;
            this.inflater = new Inflater(!format.equals("zlib"));
            this.headerDone = !format.equals("gzip");
        }

        void feed(byte[] part) throws Fail, DataFormatException {
            byte[] input = part;
            if (!headerDone) {
                byte[] joined = Arrays.copyOf(header, header.length + part.length);
                System.arraycopy(part, 0, joined, header.length, part.length);
                int length = gzipHeaderLength(joined);
                if (length < 0) {
                    header = joined;
                    return;
                }
                headerDone = true;
                input = Arrays.copyOfRange(joined, length, joined.length);
            }
            if (inflater.finished()) {
                after.writeBytes(input);
                return;
            }
            inflater.setInput(input);
            byte[] buffer = new byte[64 * 1024];
            while (true) {
                int n = inflater.inflate(buffer);
                out.write(buffer, 0, n);
                crc.update(buffer, 0, n);
                if (n > 0) continue;
                if (inflater.finished() || inflater.needsInput()) break;
                throw new Fail(inflater.needsDictionary() ? "the stream needs a dictionary" : "the inflater made no progress");
            }
            if (inflater.finished()) {
                int remaining = inflater.getRemaining();
                after.write(input, input.length - remaining, remaining);
            }
        }

        byte[] decoded() {
            return out.toByteArray();
        }

        /** The stream must have ended exactly: its trailer checked and no byte after it. */
        void end() throws Fail {
            expect(headerDone && inflater.finished(), "the compressed stream did not end");
            byte[] rest = after.toByteArray();
            if (format.equals("gzip")) {
                expect(rest.length >= 8, "the gzip trailer is missing");
                long wantCrc = (rest[0] & 0xffL) | (rest[1] & 0xffL) << 8 | (rest[2] & 0xffL) << 16 | (rest[3] & 0xffL) << 24;
                long wantSize = (rest[4] & 0xffL) | (rest[5] & 0xffL) << 8 | (rest[6] & 0xffL) << 16 | (rest[7] & 0xffL) << 24;
                expect(wantCrc == crc.getValue(), "gzip CRC-32 mismatch");
                expect(wantSize == (out.size() & 0xffffffffL), "gzip ISIZE mismatch");
                expect(rest.length == 8, (rest.length - 8) + " bytes after the end of the stream");
            } else {
                expect(rest.length == 0, rest.length + " bytes after the end of the stream");
            }
            inflater.end();
        }
    }

    static byte[] decodeWhole(byte[] data, String format) throws Exception {
        Incremental inc = new Incremental(format);
        inc.feed(data);
        inc.end();
        byte[] decoded = inc.decoded();
        if (format.equals("gzip")) { // the everyday way too
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(data))) {
                same(in.readAllBytes(), decoded, "GZIPInputStream vs Inflater");
            }
        }
        return decoded;
    }

    /** A compressing stream whose flush() is a Z_SYNC_FLUSH. */
    static DeflaterOutputStream syncFlushing(String format, int level, ByteArrayOutputStream out) throws IOException {
        if (format.equals("gzip")) {
            return new GZIPOutputStream(out, 512, true) {
                {
                    def.setLevel(level);
                }
            };
        }
        return new DeflaterOutputStream(out, new Deflater(level, format.equals("raw")), 512, true);
    }

    static byte[] ownDeflate(byte[] data, String format, int level) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream stream = syncFlushing(format, level, out)) {
            stream.write(data);
        }
        return out.toByteArray();
    }

    /** raw or zlib straight from Deflater, for the byte-identity oracle. */
    static byte[] deflater(byte[] data, String format, int level) {
        Deflater deflater = new Deflater(level, format.equals("raw"));
        deflater.setInput(data);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        while (!deflater.finished()) out.write(buffer, 0, deflater.deflate(buffer));
        deflater.end();
        return out.toByteArray();
    }

    static void counts(Answer a, String engine, int in, int out) throws Fail {
        expect(engine.equals(a.header("x-zaccel-engine")), "x-zaccel-engine " + a.header("x-zaccel-engine"));
        // Present when the answer fits in the commit window; otherwise they are HTTP trailers,
        // which java.net.http does not expose.
        String bytesIn = a.header("x-zaccel-bytes-in"), bytesOut = a.header("x-zaccel-bytes-out");
        if (bytesIn != null) expect(bytesIn.equals(String.valueOf(in)), "x-zaccel-bytes-in " + bytesIn + ", sent " + in);
        if (bytesOut != null) expect(bytesOut.equals(String.valueOf(out)), "x-zaccel-bytes-out " + bytesOut + ", got " + out);
    }

    // ------------------------------------------------------------ streams

    static String openStream(String json) throws Exception {
        Answer a = postJson("/v1/streams", json);
        expect(a.status() == 201, "open: HTTP " + a.status() + " " + clip(a.body()));
        String id = jsonString(a.body(), "id");
        expect(id != null, "open: no id in " + clip(a.body()));
        return id;
    }

    static Answer write(String id, byte[] data, String flush) throws Exception {
        Answer a = ok(post("/v1/streams/" + id + "/write?flush=" + flush, data));
        expect(id.equals(a.header("x-zaccel-stream")), "x-zaccel-stream " + a.header("x-zaccel-stream"));
        return a;
    }

    static void finishStream(String id, long in, long out) throws Exception {
        Answer a = ok(request("GET", "/v1/streams/" + id, null, null));
        expect("ended".equals(jsonString(a.body(), "state")), "state " + jsonString(a.body(), "state") + " after finish");
        Long bytesIn = jsonNumber(a.body(), "bytesIn"), bytesOut = jsonNumber(a.body(), "bytesOut");
        expect(bytesIn != null && bytesIn == in && bytesOut != null && bytesOut == out,
                "totals in " + bytesIn + " out " + bytesOut + ", expected " + in + " and " + out);
        ok(request("DELETE", "/v1/streams/" + id, null, null));
    }

    static void deflateStream(String engine, String format, int level) throws Exception {
        String id = openStream("{\"mode\":\"deflate\",\"engine\":\"" + engine + "\",\"format\":\"" + format + "\",\"level\":" + level + "}");
        Incremental inc = new Incremental(format);
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        long compressed = 0;
        for (int p = 0; p < STREAM_PAGES; p++) {
            byte[] data = page(p);
            Answer a = write(id, data, "sync");
            sent.writeBytes(data);
            compressed += a.body().length;
            try {
                inc.feed(a.body());
            } catch (DataFormatException error) {
                throw new Fail("after write " + (p + 1) + ": " + error.getMessage());
            }
            same(inc.decoded(), sent.toByteArray(), "after write " + (p + 1) + ", what this Inflater produced");
        }
        Answer a = write(id, new byte[0], "finish");
        expect("true".equals(a.header("x-zaccel-ended")), "x-zaccel-ended " + a.header("x-zaccel-ended") + " after finish");
        compressed += a.body().length;
        inc.feed(a.body());
        inc.end();
        same(inc.decoded(), sent.toByteArray(), "after finish");
        finishStream(id, sent.size(), compressed);
    }

    static void inflateStream(String engine, String format, int level) throws Exception {
        String id = openStream("{\"mode\":\"inflate\",\"engine\":\"" + engine + "\",\"format\":\"" + format + "\"}");
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        DeflaterOutputStream deflater = syncFlushing(format, level, compressed);
        long totalIn = 0, totalOut = 0;
        for (int p = 0; p < STREAM_PAGES; p++) {
            byte[] data = page(p);
            deflater.write(data);
            deflater.flush(); // syncFlush=true: Z_SYNC_FLUSH
            byte[] part = compressed.toByteArray();
            compressed.reset();
            Answer a = write(id, part, "sync");
            totalIn += part.length;
            totalOut += a.body().length;
            same(a.body(), data, "the answer to write " + (p + 1));
        }
        deflater.close();
        byte[] tail = compressed.toByteArray();
        Answer a = write(id, tail, "finish");
        totalIn += tail.length;
        expect(a.body().length == 0, a.body().length + " bytes answered to the final write");
        expect("true".equals(a.header("x-zaccel-ended")), "x-zaccel-ended " + a.header("x-zaccel-ended") + " after finish");
        finishStream(id, totalIn, totalOut);
    }

    // ------------------------------------------------------------ errors

    static void expectError(Answer a, int status, String code) throws Fail {
        expect(a.status() == status, "HTTP " + a.status() + " " + clip(a.body()) + ", expected " + status);
        String got = jsonString(a.body(), "code"), message = jsonString(a.body(), "message");
        expect(got != null && new String(a.body(), StandardCharsets.UTF_8).startsWith("{\"error\""), "not a JSON error answer: " + clip(a.body()));
        expect(code.equals(got), "code " + got + ", expected " + code);
        expect(message != null && !message.isEmpty(), "no message");
    }

    static Check postError(String path, byte[] body, int status, String code) {
        return () -> expectError(post(path, body), status, code);
    }

    // ------------------------------------------------------------ main

    public static void main(String[] args) throws Exception {
        if (args.length > 0) base = args[0];
        else if (System.getenv("ZACCEL_URL") != null) base = System.getenv("ZACCEL_URL");
        base = base.replaceAll("/+$", "");
        // Classic zlib's raw deflate of TEXT at level 6 is 19846 bytes with CRC-32 0xa786adfa; a JVM
        // built on another deflate (zlib-ng, for one) cannot be expected to give zlib's exact bytes.
        byte[] fingerprint = deflater(TEXT, "raw", 6);
        CRC32 fingerprintCrc = new CRC32();
        fingerprintCrc.update(fingerprint);
        boolean classicZlib = fingerprint.length == 19846 && fingerprintCrc.getValue() == 0xa786adfaL;
        System.out.println("# java " + System.getProperty("java.version") + ", classic zlib " + classicZlib + ", server " + base);

        // 1. /v1/deflate, decoded here
        Map<String, byte[]> outputs = new HashMap<>();
        for (String engine : ENGINES) {
            for (String format : FORMATS) {
                for (int level : LEVELS) {
                    for (int k = 0; k < KIND_NAMES.length; k++) {
                        String kind = KIND_NAMES[k];
                        byte[] data = KIND_DATA[k];
                        check("deflate engine=" + engine + " format=" + format + " level=" + level + " kind=" + kind, () -> {
                            Answer a = ok(post("/v1/deflate?engine=" + engine + "&format=" + format + "&level=" + level, data));
                            outputs.put(engine + format + level + kind, a.body());
                            same(decodeWhole(a.body(), format), data, "decoded output");
                            expect(format.equals(a.header("x-zaccel-format")), "x-zaccel-format " + a.header("x-zaccel-format"));
                            counts(a, engine, data.length, a.body().length);
                            String fallback = a.header("x-zaccel-fallback");
                            String want = engine.equals("dfltcc") && level != 1 ? "true" : "false";
                            if (fallback != null) expect(fallback.equals(want), "x-zaccel-fallback " + fallback + ", expected " + want);
                        });
                    }
                }
            }
        }
        for (String format : FORMATS) {
            for (int level : LEVELS) {
                if (classicZlib && !format.equals("gzip")) {
                    for (int k = 0; k < KIND_NAMES.length; k++) {
                        String kind = KIND_NAMES[k];
                        byte[] data = KIND_DATA[k];
                        check("oracle engine=zlib format=" + format + " level=" + level + " kind=" + kind + " same bytes as java.util.zip.Deflater", () -> {
                            byte[] got = outputs.get("zlib" + format + level + kind);
                            expect(got != null, "no deflate output to compare");
                            same(got, deflater(data, format, level), "engine=zlib bytes vs Deflater");
                        });
                    }
                }
                for (String kind : new String[] {"text", "binary", "large"}) {
                    String relation = level == 1 ? "differs from" : "equals";
                    check("oracle engine=dfltcc format=" + format + " level=" + level + " kind=" + kind + " " + relation + " engine=zlib", () -> {
                        byte[] accelerated = outputs.get("dfltcc" + format + level + kind), software = outputs.get("zlib" + format + level + kind);
                        expect(accelerated != null && software != null, "no deflate outputs to compare");
                        if (level == 1) expect(!Arrays.equals(accelerated, software), "engine=dfltcc level 1 gave software zlib's exact bytes");
                        else same(accelerated, software, "engine=dfltcc (software fallback) vs engine=zlib");
                    });
                }
            }
        }
        if (!classicZlib) System.out.println("# skipped the byte-identity oracle: this JVM's Deflater is not classic zlib");

        // 2. compressed here, /v1/inflate
        for (String engine : ENGINES) {
            for (String format : FORMATS) {
                for (int k = 0; k < KIND_NAMES.length; k++) {
                    check("inflate engine=" + engine + " format=" + format + " level=6 kind=" + KIND_NAMES[k], inflateCheck(engine, format, 6, KIND_DATA[k], format));
                }
                for (int level : new int[] {1, 9}) {
                    check("inflate engine=" + engine + " format=" + format + " level=" + level + " kind=text", inflateCheck(engine, format, level, TEXT, format));
                }
            }
            for (String format : new String[] {"zlib", "gzip"}) {
                check("inflate engine=" + engine + " format=" + format + " as auto kind=binary", inflateCheck(engine, format, 6, BINARY, "auto"));
            }
        }

        // 3. stateful streams
        for (String engine : ENGINES) {
            for (String format : FORMATS) {
                check("stream deflate engine=" + engine + " format=" + format + " level=1 pages=" + STREAM_PAGES + " flush=sync", () -> deflateStream(engine, format, 1));
            }
            check("stream deflate engine=" + engine + " format=zlib level=6 pages=" + STREAM_PAGES + " flush=sync", () -> deflateStream(engine, "zlib", 6));
            for (String format : FORMATS) {
                check("stream inflate engine=" + engine + " format=" + format + " pages=" + STREAM_PAGES + " flush=sync", () -> inflateStream(engine, format, 6));
            }
        }

        // 4. errors
        byte[] goodZlib = ownDeflate(TEXT, "zlib", 6);
        byte[] badAdler = goodZlib.clone();
        badAdler[badAdler.length - 1] ^= 0x01;
        byte[] badCrc = ownDeflate(TEXT, "gzip", 6);
        badCrc[badCrc.length - 8] ^= 0x01;
        byte[] gzipped = ownDeflate(TEXT, "gzip", 6);
        byte[] truncated = Arrays.copyOf(gzipped, gzipped.length - 100);
        byte[] trailing = Arrays.copyOf(goodZlib, goodZlib.length + 4);
        System.arraycopy("tail".getBytes(StandardCharsets.US_ASCII), 0, trailing, goodZlib.length, 4);
        byte[] bomb = ownDeflate(new byte[4 << 20], "zlib", 9); // 4 MiB of zeros in a few KiB
        byte[] garbage = "this is not zlib data".getBytes(StandardCharsets.US_ASCII);
        for (String engine : ENGINES) {
            String q = "engine=" + engine;
            check("error engine=" + engine + " inflate garbage -> 400 ZACCEL_DATA_ERROR", postError("/v1/inflate?" + q + "&format=zlib", garbage, 400, "ZACCEL_DATA_ERROR"));
            check("error engine=" + engine + " inflate bad adler32 -> 400 ZACCEL_DATA_ERROR", postError("/v1/inflate?" + q + "&format=zlib", badAdler, 400, "ZACCEL_DATA_ERROR"));
            check("error engine=" + engine + " inflate bad gzip crc -> 400 ZACCEL_DATA_ERROR", postError("/v1/inflate?" + q + "&format=gzip", badCrc, 400, "ZACCEL_DATA_ERROR"));
            check("error engine=" + engine + " inflate truncated gzip -> 400 ZACCEL_TRUNCATED", postError("/v1/inflate?" + q + "&format=gzip", truncated, 400, "ZACCEL_TRUNCATED"));
            check("error engine=" + engine + " inflate trailing bytes -> 400 ZACCEL_TRAILING_DATA", postError("/v1/inflate?" + q + "&format=zlib", trailing, 400, "ZACCEL_TRAILING_DATA"));
            check("error engine=" + engine + " inflate bomb maxOutput=65536 -> 413 ZACCEL_OUTPUT_LIMIT", postError("/v1/inflate?" + q + "&format=zlib&maxOutput=65536", bomb, 413, "ZACCEL_OUTPUT_LIMIT"));
            // A small body: the server reads it whole before it answers (see README.md, "early answers").
            check("error engine=" + engine + " deflate 8 KiB random maxOutput=1024 -> 413 ZACCEL_OUTPUT_LIMIT", postError("/v1/deflate?" + q + "&level=1&maxOutput=1024", Arrays.copyOf(RANDOM, 8192), 413, "ZACCEL_OUTPUT_LIMIT"));
            check("error engine=" + engine + " deflate level=42 -> 400 ZACCEL_BAD_OPTION", postError("/v1/deflate?" + q + "&level=42", TEXT, 400, "ZACCEL_BAD_OPTION"));
            check("error engine=" + engine + " stream fed garbage -> 400, then 409 ZACCEL_STREAM_CLOSED", () -> {
                String id = openStream("{\"mode\":\"inflate\",\"engine\":\"" + engine + "\",\"format\":\"zlib\"}");
                try {
                    expectError(post("/v1/streams/" + id + "/write?flush=sync", garbage), 400, "ZACCEL_DATA_ERROR");
                    expectError(post("/v1/streams/" + id + "/write?flush=sync", goodZlib), 409, "ZACCEL_STREAM_CLOSED");
                } finally {
                    request("DELETE", "/v1/streams/" + id, null, null);
                }
            });
            check("error engine=" + engine + " stream inflate over maxOutput -> 413 ZACCEL_OUTPUT_LIMIT", () -> {
                String id = openStream("{\"mode\":\"inflate\",\"engine\":\"" + engine + "\",\"format\":\"gzip\",\"maxOutput\":65536}");
                try {
                    expectError(post("/v1/streams/" + id + "/write?flush=sync", ownDeflate(new byte[1 << 20], "gzip", 9)), 413, "ZACCEL_OUTPUT_LIMIT");
                } finally {
                    request("DELETE", "/v1/streams/" + id, null, null);
                }
            });
        }
        String unknown = "/v1/streams/00000000-0000-4000-8000-000000000000";
        check("error unknown stream write -> 404 ZACCEL_NOT_FOUND", postError(unknown + "/write?flush=sync", "data".getBytes(StandardCharsets.US_ASCII), 404, "ZACCEL_NOT_FOUND"));
        check("error unknown stream GET -> 404 ZACCEL_NOT_FOUND", () -> expectError(request("GET", unknown, null, null), 404, "ZACCEL_NOT_FOUND"));
        check("error unknown stream DELETE -> 404 ZACCEL_NOT_FOUND", () -> expectError(request("DELETE", unknown, null, null), 404, "ZACCEL_NOT_FOUND"));
        check("error deleted stream write -> 404 ZACCEL_NOT_FOUND", () -> {
            String id = openStream("{\"mode\":\"deflate\",\"format\":\"raw\"}");
            ok(request("DELETE", "/v1/streams/" + id, null, null));
            expectError(post("/v1/streams/" + id + "/write?flush=sync", "data".getBytes(StandardCharsets.US_ASCII)), 404, "ZACCEL_NOT_FOUND");
        });
        check("error unknown engine -> 400 ZACCEL_BAD_OPTION", postError("/v1/deflate?engine=nonesuch", TEXT, 400, "ZACCEL_BAD_OPTION"));
        check("error stream without mode -> 400 ZACCEL_BAD_OPTION", () -> expectError(postJson("/v1/streams", "{\"format\":\"zlib\"}"), 400, "ZACCEL_BAD_OPTION"));

        System.out.println(passed + " passed, " + failed + " failed");
        System.out.flush();
        System.exit(failed > 0 ? 1 : 0);
    }

    static Check inflateCheck(String engine, String format, int level, byte[] data, String queryFormat) {
        return () -> {
            byte[] compressed = ownDeflate(data, format, level);
            Answer a = ok(post("/v1/inflate?engine=" + engine + "&format=" + queryFormat, compressed));
            same(a.body(), data, "inflated output");
            counts(a, engine, compressed.length, a.body().length);
        };
    }
}
