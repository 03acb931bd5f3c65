// zaccel service interop client: Go, standard library only (net/http, compress/flate,
// compress/zlib, compress/gzip, encoding/json).
//
// Usage: go run client.go [BASE_URL]   (default: $ZACCEL_URL, else http://127.0.0.1:8080)
// No module is needed. When $HOME is not writable, set GOCACHE and GOPATH to a temporary directory.
//
// Checks, one line each ("ok NAME" or "FAIL NAME: why"), then exactly "N passed, M failed"; the
// exit status is 1 when any check failed.
//
//	deflate  /v1/deflate on both engines, raw/zlib/gzip, levels 1/6/9, every corpus kind; decoded
//	         with compress/flate, compress/zlib or compress/gzip, compared byte for byte, the stream
//	         must end exactly; the x-zaccel-* counts must match, as headers or as HTTP trailers.
//	oracle   engine=dfltcc at level 1 differs from engine=zlib (the z15 shape), and at levels 6/9
//	         equals it (software fallback). Go's deflate is not zlib, so no byte-identity check.
//	inflate  compressed by Go, inflated by /v1/inflate on both engines, compared.
//	stream   a deflate stream fed 4 KiB pages with flush=sync: after every write Go's incremental
//	         reader (fed through an io.Pipe) must have produced exactly the bytes sent so far; an
//	         inflate stream fed Go's own Flush()ed (sync-flushed) output must answer every write
//	         with exactly that page.
//	error    malformed input (400 + ZACCEL_* code), over-limit output (413), unknown or deleted
//	         stream (404), a failed stream (409).
//
// The corpus is generated here from xorshift32 (x ^= x << 13; x ^= x >> 17; x ^= x << 5, on
// uint32); test/interop/README.md defines it, and every client in test/interop builds the same
// bytes.
package main

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

var (
	base    = "http://127.0.0.1:8080"
	client  = &http.Client{Timeout: 120 * time.Second}
	engines = []string{"zlib", "dfltcc"}
	formats = []string{"raw", "zlib", "gzip"}
	levels  = []int{1, 6, 9}
)

const pageSize = 4096
const streamPages = 32

// ---------------------------------------------------------------- corpus

func xorshift32(x uint32) uint32 {
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	return x
}

var words = []string{"the", "zaccel", "deflate", "inflate", "stream", "page", "block", "huffman",
	"window", "accelerator", "z15", "level", "sync", "flush", "channel", "migration"}

// appendLE32 is binary.LittleEndian.AppendUint32, which needs Go 1.19.
func appendLE32(out []byte, v uint32) []byte {
	return append(out, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

func makeRandom(size int, x uint32) []byte {
	out := make([]byte, 0, size+4)
	for len(out) < size {
		x = xorshift32(x)
		out = appendLE32(out, x)
	}
	return out[:size]
}

func makeText(size int, x uint32) []byte {
	out := make([]byte, 0, size+16)
	for len(out) < size {
		x = xorshift32(x)
		out = append(out, words[x&15]...)
		if (x>>4)&7 == 0 {
			out = append(out, '\n')
		} else {
			out = append(out, ' ')
		}
	}
	return out[:size]
}

func makeBinary(records int, x uint32) []byte {
	out := make([]byte, 0, records*16)
	for i := 0; i < records; i++ {
		x = xorshift32(x)
		out = appendLE32(out, uint32(i))
		out = appendLE32(out, x)
		out = appendLE32(out, uint32(i)*2654435761)
		out = appendLE32(out, 0)
	}
	return out
}

var (
	zeros   = make([]byte, 256*1024)
	text    = makeText(128*1024, 0x9E3779B9)
	random  = makeRandom(64*1024, 0x2545F491)
	binData = makeBinary(4096, 0x01234567)
	sources = [][]byte{zeros, text, random, binData}
	large   []byte
)

func page(p int) []byte {
	source := sources[p%4]
	offset := (p * pageSize) % len(source)
	return source[offset : offset+pageSize]
}

type kind struct {
	name string
	data []byte
}

var kinds []kind

// ---------------------------------------------------------------- checks and HTTP

var passed, failed int

func check(name string, fn func() error) {
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return fn()
	}()
	if err == nil {
		passed++
		fmt.Println("ok   " + name)
		return
	}
	failed++
	message := strings.Map(func(r rune) rune { // one printable line
		if r < ' ' || r > '~' {
			return '.'
		}
		return r
	}, err.Error())
	if len(message) > 400 {
		message = message[:400]
	}
	fmt.Printf("FAIL %s: %s\n", name, message)
}

type answer struct {
	status  int
	header  http.Header
	trailer http.Header
	body    []byte
}

// count reads an x-zaccel-* count from the headers, or from the trailers of a streamed answer.
func (a *answer) count(name string) (string, bool) {
	if v := a.header.Get(name); v != "" {
		return v, true
	}
	if v := a.trailer.Get(name); v != "" {
		return v, true
	}
	return "", false
}

func request(method, path string, body []byte, contentType string) (*answer, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, reader)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("content-type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	return &answer{status: resp.StatusCode, header: resp.Header, trailer: resp.Trailer, body: data}, nil
}

func post(path string, body []byte) (*answer, error) {
	if body == nil {
		body = []byte{}
	}
	return request("POST", path, body, "application/octet-stream")
}

func postJSON(path string, value interface{}) (*answer, error) {
	body, _ := json.Marshal(value)
	return request("POST", path, body, "application/json")
}

// okBody passes on a 200 answer and turns anything else into an error.
func okBody(a *answer, err error) (*answer, error) {
	if err != nil {
		return nil, err
	}
	if a.status != 200 {
		return nil, fmt.Errorf("HTTP %d %s", a.status, clip(a.body))
	}
	return a, nil
}

func clip(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return strconv.Quote(string(b))
}

func same(got, want []byte, what string) error {
	if bytes.Equal(got, want) {
		return nil
	}
	at := 0
	for at < len(got) && at < len(want) && got[at] == want[at] {
		at++
	}
	return fmt.Errorf("%s differs: %d bytes, expected %d, first difference at byte %d", what, len(got), len(want), at)
}

func newReader(format string, r io.Reader) (io.Reader, error) {
	switch format {
	case "raw":
		return flate.NewReader(r), nil
	case "zlib":
		return zlib.NewReader(r)
	default:
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		z.Multistream(false)
		return z, nil
	}
}

// decodeWhole inflates data with Go's library; the stream must end exactly where the data ends.
func decodeWhole(data []byte, format string) ([]byte, error) {
	source := bytes.NewReader(data) // an io.ByteReader: the decoders read no further than they need
	r, err := newReader(format, source)
	if err != nil {
		return nil, fmt.Errorf("%s header: %w", format, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return out, fmt.Errorf("decoding: %w", err)
	}
	if source.Len() != 0 {
		return out, fmt.Errorf("%d bytes after the end of the stream", source.Len())
	}
	return out, nil
}

type writeFlusher interface {
	io.WriteCloser
	Flush() error
}

func newWriter(format string, w io.Writer, level int) writeFlusher {
	switch format {
	case "raw":
		f, _ := flate.NewWriter(w, level)
		return f
	case "zlib":
		z, _ := zlib.NewWriterLevel(w, level)
		return z
	default:
		g, _ := gzip.NewWriterLevel(w, level)
		return g
	}
}

func ownDeflate(data []byte, format string, level int) []byte {
	var out bytes.Buffer
	w := newWriter(format, &out, level)
	w.Write(data)
	w.Close()
	return out.Bytes()
}

func counts(a *answer, engine string, nin, nout int) error {
	if got := a.header.Get("x-zaccel-engine"); got != engine {
		return fmt.Errorf("x-zaccel-engine %q", got)
	}
	if v, ok := a.count("x-zaccel-bytes-in"); !ok || v != strconv.Itoa(nin) {
		return fmt.Errorf("x-zaccel-bytes-in %q (present %v), sent %d", v, ok, nin)
	}
	if v, ok := a.count("x-zaccel-bytes-out"); !ok || v != strconv.Itoa(nout) {
		return fmt.Errorf("x-zaccel-bytes-out %q (present %v), got %d", v, ok, nout)
	}
	return nil
}

// ---------------------------------------------------------------- incremental decoding

// incremental feeds compressed parts through an io.Pipe into one of Go's streaming readers,
// which runs in its own goroutine, and collects whatever it has decoded so far.
type incremental struct {
	pw       *io.PipeWriter
	mu       sync.Mutex
	decoded  []byte
	err      error
	done     bool
	progress chan struct{}
}

func newIncremental(format string) *incremental {
	pr, pw := io.Pipe()
	inc := &incremental{pw: pw, progress: make(chan struct{}, 1)}
	go func() {
		var err error
		r, err := newReader(format, pr)
		if err == nil {
			buf := make([]byte, 64*1024)
			for {
				n, readErr := r.Read(buf)
				inc.mu.Lock()
				inc.decoded = append(inc.decoded, buf[:n]...)
				inc.mu.Unlock()
				inc.signal()
				if readErr != nil {
					err = readErr
					break
				}
			}
		}
		inc.mu.Lock()
		inc.err, inc.done = err, true
		inc.mu.Unlock()
		pr.CloseWithError(errors.New("the decoder stopped reading"))
		inc.signal()
	}()
	return inc
}

func (inc *incremental) signal() {
	select {
	case inc.progress <- struct{}{}:
	default:
	}
}

// feed writes a part and waits until the decoder has produced want bytes in all (or stopped, or
// 15 s passed); it returns everything decoded so far.
func (inc *incremental) feed(part []byte, want int) ([]byte, error) {
	if len(part) > 0 {
		if _, err := inc.pw.Write(part); err != nil {
			return nil, err
		}
	}
	deadline := time.After(15 * time.Second)
	for {
		inc.mu.Lock()
		have, done, err := len(inc.decoded), inc.done, inc.err
		inc.mu.Unlock()
		if have >= want || done {
			inc.mu.Lock()
			defer inc.mu.Unlock()
			if done && err != nil && err != io.EOF {
				return inc.decoded, fmt.Errorf("the decoder failed: %w", err)
			}
			return append([]byte(nil), inc.decoded...), nil
		}
		select {
		case <-inc.progress:
		case <-deadline:
			return nil, fmt.Errorf("the decoder produced %d of %d bytes within 15 s", have, want)
		}
	}
}

// end closes the input and waits for the decoder to reach the end of the stream.
func (inc *incremental) end() error {
	inc.pw.Close()
	deadline := time.After(15 * time.Second)
	for {
		inc.mu.Lock()
		done, err := inc.done, inc.err
		inc.mu.Unlock()
		if done {
			if err != io.EOF {
				return fmt.Errorf("the stream did not end cleanly: %v", err)
			}
			return nil
		}
		select {
		case <-inc.progress:
		case <-deadline:
			return errors.New("the decoder did not finish within 15 s")
		}
	}
}

// ---------------------------------------------------------------- streams

func openStream(options map[string]interface{}) (string, error) {
	a, err := postJSON("/v1/streams", options)
	if err != nil {
		return "", err
	}
	if a.status != 201 {
		return "", fmt.Errorf("open: HTTP %d %s", a.status, clip(a.body))
	}
	var opened struct{ ID string }
	if err := json.Unmarshal(a.body, &opened); err != nil || opened.ID == "" {
		return "", fmt.Errorf("open: no id in %s", clip(a.body))
	}
	return opened.ID, nil
}

func write(id string, data []byte, flush string) (*answer, error) {
	a, err := okBody(post("/v1/streams/"+id+"/write?flush="+flush, data))
	if err != nil {
		return nil, err
	}
	if got := a.header.Get("x-zaccel-stream"); got != id {
		return nil, fmt.Errorf("x-zaccel-stream %q", got)
	}
	return a, nil
}

func finishStream(id string, nin, nout int) error {
	a, err := okBody(request("GET", "/v1/streams/"+id, nil, ""))
	if err != nil {
		return err
	}
	var info struct {
		State    string
		BytesIn  int
		BytesOut int
	}
	if err := json.Unmarshal(a.body, &info); err != nil {
		return fmt.Errorf("GET stream: %v", err)
	}
	if info.State != "ended" {
		return fmt.Errorf("state %q after finish", info.State)
	}
	if info.BytesIn != nin || info.BytesOut != nout {
		return fmt.Errorf("totals in %d out %d, expected %d and %d", info.BytesIn, info.BytesOut, nin, nout)
	}
	_, err = okBody(request("DELETE", "/v1/streams/"+id, nil, ""))
	return err
}

func deflateStream(engine, format string, level int) error {
	id, err := openStream(map[string]interface{}{"mode": "deflate", "engine": engine, "format": format, "level": level})
	if err != nil {
		return err
	}
	inc := newIncremental(format)
	defer inc.pw.Close()
	var sent, all []byte
	for p := 0; p < streamPages; p++ {
		data := page(p)
		a, err := write(id, data, "sync")
		if err != nil {
			return fmt.Errorf("write %d: %w", p+1, err)
		}
		sent = append(sent, data...)
		all = append(all, a.body...)
		decoded, err := inc.feed(a.body, len(sent))
		if err != nil {
			return fmt.Errorf("after write %d: %w", p+1, err)
		}
		if err := same(decoded, sent, fmt.Sprintf("after write %d, what Go's reader produced", p+1)); err != nil {
			return err
		}
	}
	a, err := write(id, nil, "finish")
	if err != nil {
		return fmt.Errorf("finish: %w", err)
	}
	if a.header.Get("x-zaccel-ended") != "true" {
		return fmt.Errorf("x-zaccel-ended %q after finish", a.header.Get("x-zaccel-ended"))
	}
	all = append(all, a.body...)
	if _, err := inc.feed(a.body, len(sent)); err != nil {
		return fmt.Errorf("finish: %w", err)
	}
	if err := inc.end(); err != nil {
		return err
	}
	whole, err := decodeWhole(all, format)
	if err != nil {
		return fmt.Errorf("the whole stream: %w", err)
	}
	if err := same(whole, sent, "the whole stream"); err != nil {
		return err
	}
	return finishStream(id, len(sent), len(all))
}

func inflateStream(engine, format string, level int) error {
	id, err := openStream(map[string]interface{}{"mode": "inflate", "engine": engine, "format": format})
	if err != nil {
		return err
	}
	var compressed bytes.Buffer
	w := newWriter(format, &compressed, level)
	totalIn, totalOut := 0, 0
	for p := 0; p < streamPages; p++ {
		data := page(p)
		w.Write(data)
		w.Flush() // Z_SYNC_FLUSH: everything so far is decodable
		part := append([]byte(nil), compressed.Bytes()...)
		compressed.Reset()
		a, err := write(id, part, "sync")
		if err != nil {
			return fmt.Errorf("write %d: %w", p+1, err)
		}
		totalIn += len(part)
		totalOut += len(a.body)
		if err := same(a.body, data, fmt.Sprintf("the answer to write %d", p+1)); err != nil {
			return err
		}
	}
	w.Close()
	tail := compressed.Bytes()
	a, err := write(id, tail, "finish")
	if err != nil {
		return fmt.Errorf("finish: %w", err)
	}
	totalIn += len(tail)
	if len(a.body) != 0 {
		return fmt.Errorf("%d bytes answered to the final write", len(a.body))
	}
	if a.header.Get("x-zaccel-ended") != "true" {
		return fmt.Errorf("x-zaccel-ended %q after finish", a.header.Get("x-zaccel-ended"))
	}
	return finishStream(id, totalIn, totalOut)
}

// ---------------------------------------------------------------- errors

func expectError(a *answer, err error, status int, code string) error {
	if err != nil {
		return err
	}
	if a.status != status {
		return fmt.Errorf("HTTP %d %s, expected %d", a.status, clip(a.body), status)
	}
	var answer struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(a.body, &answer); err != nil {
		return fmt.Errorf("not a JSON error answer: %s", clip(a.body))
	}
	if answer.Error.Code != code {
		return fmt.Errorf("code %q, expected %s", answer.Error.Code, code)
	}
	if answer.Error.Message == "" {
		return errors.New("no message")
	}
	return nil
}

func postError(path string, body []byte, status int, code string) func() error {
	return func() error {
		a, err := post(path, body)
		return expectError(a, err, status, code)
	}
}

// ---------------------------------------------------------------- main

func main() {
	if len(os.Args) > 1 {
		base = os.Args[1]
	} else if env := os.Getenv("ZACCEL_URL"); env != "" {
		base = env
	}
	base = strings.TrimRight(base, "/")
	for p := 0; p < 768; p++ {
		large = append(large, page(p)...) // 3 MiB
	}
	kinds = []kind{{"empty", []byte{}}, {"zeros", zeros}, {"text", text}, {"random", random}, {"binary", binData}, {"large", large}}
	fmt.Printf("# go %s, server %s\n", runtime.Version(), base)

	// 1. /v1/deflate, decoded here
	outputs := map[string][]byte{}
	for _, engine := range engines {
		for _, format := range formats {
			for _, level := range levels {
				for _, k := range kinds {
					engine, format, level, k := engine, format, level, k
					check(fmt.Sprintf("deflate engine=%s format=%s level=%d kind=%s", engine, format, level, k.name), func() error {
						a, err := okBody(post(fmt.Sprintf("/v1/deflate?engine=%s&format=%s&level=%d", engine, format, level), k.data))
						if err != nil {
							return err
						}
						outputs[fmt.Sprint(engine, format, level, k.name)] = a.body
						decoded, err := decodeWhole(a.body, format)
						if err != nil {
							return err
						}
						if err := same(decoded, k.data, "decoded output"); err != nil {
							return err
						}
						if got := a.header.Get("x-zaccel-format"); got != format {
							return fmt.Errorf("x-zaccel-format %q", got)
						}
						if err := counts(a, engine, len(k.data), len(a.body)); err != nil {
							return err
						}
						want := "false"
						if engine == "dfltcc" && level != 1 {
							want = "true"
						}
						if got, _ := a.count("x-zaccel-fallback"); got != want {
							return fmt.Errorf("x-zaccel-fallback %q, expected %s", got, want)
						}
						return nil
					})
				}
			}
		}
	}
	for _, format := range formats {
		for _, level := range levels {
			for _, name := range []string{"text", "binary", "large"} {
				format, level, name := format, level, name
				relation := "equals"
				if level == 1 {
					relation = "differs from"
				}
				check(fmt.Sprintf("oracle engine=dfltcc format=%s level=%d kind=%s %s engine=zlib", format, level, name, relation), func() error {
					accelerated, ok1 := outputs[fmt.Sprint("dfltcc", format, level, name)]
					software, ok2 := outputs[fmt.Sprint("zlib", format, level, name)]
					if !ok1 || !ok2 {
						return errors.New("no deflate outputs to compare")
					}
					if level == 1 {
						if bytes.Equal(accelerated, software) {
							return errors.New("engine=dfltcc level 1 gave software zlib's exact bytes")
						}
						return nil
					}
					return same(accelerated, software, "engine=dfltcc (software fallback) vs engine=zlib")
				})
			}
		}
	}

	// 2. compressed here, /v1/inflate
	inflateCheck := func(engine, format string, level int, data []byte, queryFormat string) func() error {
		return func() error {
			compressed := ownDeflate(data, format, level)
			a, err := okBody(post(fmt.Sprintf("/v1/inflate?engine=%s&format=%s", engine, queryFormat), compressed))
			if err != nil {
				return err
			}
			if err := same(a.body, data, "inflated output"); err != nil {
				return err
			}
			return counts(a, engine, len(compressed), len(a.body))
		}
	}
	for _, engine := range engines {
		for _, format := range formats {
			for _, k := range kinds {
				check(fmt.Sprintf("inflate engine=%s format=%s level=6 kind=%s", engine, format, k.name), inflateCheck(engine, format, 6, k.data, format))
			}
			for _, level := range []int{1, 9} {
				check(fmt.Sprintf("inflate engine=%s format=%s level=%d kind=text", engine, format, level), inflateCheck(engine, format, level, text, format))
			}
		}
		for _, format := range []string{"zlib", "gzip"} {
			check(fmt.Sprintf("inflate engine=%s format=%s as auto kind=binary", engine, format), inflateCheck(engine, format, 6, binData, "auto"))
		}
	}

	// 3. stateful streams
	for _, engine := range engines {
		engine := engine
		for _, format := range formats {
			format := format
			check(fmt.Sprintf("stream deflate engine=%s format=%s level=1 pages=%d flush=sync", engine, format, streamPages),
				func() error { return deflateStream(engine, format, 1) })
		}
		check(fmt.Sprintf("stream deflate engine=%s format=zlib level=6 pages=%d flush=sync", engine, streamPages),
			func() error { return deflateStream(engine, "zlib", 6) })
		for _, format := range formats {
			format := format
			check(fmt.Sprintf("stream inflate engine=%s format=%s pages=%d flush=sync", engine, format, streamPages),
				func() error { return inflateStream(engine, format, 6) })
		}
	}

	// 4. errors
	goodZlib := ownDeflate(text, "zlib", 6)
	badAdler := append([]byte(nil), goodZlib...)
	badAdler[len(badAdler)-1] ^= 0x01
	badCRC := ownDeflate(text, "gzip", 6)
	badCRC[len(badCRC)-8] ^= 0x01
	truncated := ownDeflate(text, "gzip", 6)
	truncated = truncated[:len(truncated)-100]
	bomb := ownDeflate(make([]byte, 4<<20), "zlib", 9) // 4 MiB of zeros in a few KiB
	for _, engine := range engines {
		engine := engine
		q := "engine=" + engine
		check("error engine="+engine+" inflate garbage -> 400 ZACCEL_DATA_ERROR",
			postError("/v1/inflate?"+q+"&format=zlib", []byte("this is not zlib data"), 400, "ZACCEL_DATA_ERROR"))
		check("error engine="+engine+" inflate bad adler32 -> 400 ZACCEL_DATA_ERROR",
			postError("/v1/inflate?"+q+"&format=zlib", badAdler, 400, "ZACCEL_DATA_ERROR"))
		check("error engine="+engine+" inflate bad gzip crc -> 400 ZACCEL_DATA_ERROR",
			postError("/v1/inflate?"+q+"&format=gzip", badCRC, 400, "ZACCEL_DATA_ERROR"))
		check("error engine="+engine+" inflate truncated gzip -> 400 ZACCEL_TRUNCATED",
			postError("/v1/inflate?"+q+"&format=gzip", truncated, 400, "ZACCEL_TRUNCATED"))
		check("error engine="+engine+" inflate trailing bytes -> 400 ZACCEL_TRAILING_DATA",
			postError("/v1/inflate?"+q+"&format=zlib", append(append([]byte(nil), goodZlib...), "tail"...), 400, "ZACCEL_TRAILING_DATA"))
		check("error engine="+engine+" inflate bomb maxOutput=65536 -> 413 ZACCEL_OUTPUT_LIMIT",
			postError("/v1/inflate?"+q+"&format=zlib&maxOutput=65536", bomb, 413, "ZACCEL_OUTPUT_LIMIT"))
		// A small body: the server reads it whole before it answers (see README.md, "early answers").
		check("error engine="+engine+" deflate 8 KiB random maxOutput=1024 -> 413 ZACCEL_OUTPUT_LIMIT",
			postError("/v1/deflate?"+q+"&level=1&maxOutput=1024", random[:8192], 413, "ZACCEL_OUTPUT_LIMIT"))
		check("error engine="+engine+" deflate level=42 -> 400 ZACCEL_BAD_OPTION",
			postError("/v1/deflate?"+q+"&level=42", text, 400, "ZACCEL_BAD_OPTION"))
		check("error engine="+engine+" stream fed garbage -> 400, then 409 ZACCEL_STREAM_CLOSED", func() error {
			id, err := openStream(map[string]interface{}{"mode": "inflate", "engine": engine, "format": "zlib"})
			if err != nil {
				return err
			}
			defer request("DELETE", "/v1/streams/"+id, nil, "")
			if err := postError("/v1/streams/"+id+"/write?flush=sync", []byte("this is not zlib data"), 400, "ZACCEL_DATA_ERROR")(); err != nil {
				return err
			}
			return postError("/v1/streams/"+id+"/write?flush=sync", goodZlib, 409, "ZACCEL_STREAM_CLOSED")()
		})
		check("error engine="+engine+" stream inflate over maxOutput -> 413 ZACCEL_OUTPUT_LIMIT", func() error {
			id, err := openStream(map[string]interface{}{"mode": "inflate", "engine": engine, "format": "gzip", "maxOutput": 65536})
			if err != nil {
				return err
			}
			defer request("DELETE", "/v1/streams/"+id, nil, "")
			return postError("/v1/streams/"+id+"/write?flush=sync", ownDeflate(make([]byte, 1<<20), "gzip", 9), 413, "ZACCEL_OUTPUT_LIMIT")()
		})
	}
	unknown := "/v1/streams/00000000-0000-4000-8000-000000000000"
	check("error unknown stream write -> 404 ZACCEL_NOT_FOUND", postError(unknown+"/write?flush=sync", []byte("data"), 404, "ZACCEL_NOT_FOUND"))
	check("error unknown stream GET -> 404 ZACCEL_NOT_FOUND", func() error {
		a, err := request("GET", unknown, nil, "")
		return expectError(a, err, 404, "ZACCEL_NOT_FOUND")
	})
	check("error unknown stream DELETE -> 404 ZACCEL_NOT_FOUND", func() error {
		a, err := request("DELETE", unknown, nil, "")
		return expectError(a, err, 404, "ZACCEL_NOT_FOUND")
	})
	check("error deleted stream write -> 404 ZACCEL_NOT_FOUND", func() error {
		id, err := openStream(map[string]interface{}{"mode": "deflate", "format": "raw"})
		if err != nil {
			return err
		}
		if _, err := okBody(request("DELETE", "/v1/streams/"+id, nil, "")); err != nil {
			return err
		}
		return postError("/v1/streams/"+id+"/write?flush=sync", []byte("data"), 404, "ZACCEL_NOT_FOUND")()
	})
	check("error unknown engine -> 400 ZACCEL_BAD_OPTION", postError("/v1/deflate?engine=nonesuch", text, 400, "ZACCEL_BAD_OPTION"))
	check("error stream without mode -> 400 ZACCEL_BAD_OPTION", func() error {
		a, err := postJSON("/v1/streams", map[string]interface{}{"format": "zlib"})
		return expectError(a, err, 400, "ZACCEL_BAD_OPTION")
	})

	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
