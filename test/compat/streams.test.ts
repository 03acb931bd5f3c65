/**
 * Stream semantics side by side: when 'data' fires, the order of callbacks
 * and events, destroy(), flush(), params(), reset(), bytesWritten, stream
 * options and backpressure.
 */
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import { closeThreadPool } from '../../src/index.js';
import { drain, sideBySide, text, type Zlib } from './side-by-side.js';

afterAll(() => closeThreadPool());

/** Run until the stream has closed, logging what happens and when. */
function record(stream: Zlib, log: string[]): Promise<void> {
  let lastWasData = false;
  stream.on('data', () => {
    if (!lastWasData) log.push('data');
    lastWasData = true;
  });
  for (const event of ['end', 'finish', 'close', 'error']) {
    stream.on(event, () => {
      lastWasData = false;
      log.push(event);
    });
  }
  return new Promise((resolve) => stream.on('close', resolve));
}

describe('asynchronous semantics', () => {
  test("'data' never fires inside write(), end() or flush()", async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const stream = zlib.createDeflate();
      let inside = false;
      let dataInside = 0;
      stream.on('data', () => {
        if (inside) dataInside++;
      });
      const closed = new Promise((resolve) => stream.on('close', resolve));
      inside = true;
      stream.write(text);
      stream.flush();
      stream.write(text);
      stream.end();
      inside = false;
      await closed;
      return dataInside;
    });
    expect(result.zaccel).toEqual(result.node);
    expect(result.zaccel).toBe(0);
  });

  test('write and flush callbacks, data, end, finish and close come in node:zlib order', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const log: string[] = [];
      const stream = zlib.createGzip();
      const done = record(stream, log);
      stream.write(text.subarray(0, 1000), () => log.push('write 1'));
      stream.flush(() => log.push('flush'));
      stream.write(text.subarray(1000, 2000), () => log.push('write 2'));
      stream.end(text.subarray(2000), () => log.push('end callback'));
      log.push('sync part done');
      await done;
      return log;
    });
    expect(result.zaccel).toEqual(result.node);
  });

  test('destroy() stops output: nothing after it, and close follows', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const log: string[] = [];
      const stream = zlib.createDeflate();
      const done = record(stream, log);
      stream.write(text);
      stream.write(text);
      stream.destroy();
      log.push('destroyed');
      await done;
      return log;
    });
    expect(result.zaccel).toEqual(result.node);
    expect(result.zaccel).toEqual(['destroyed', 'close']);
  });

  test('destroy() after some output: no more data events', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const stream = zlib.createInflate();
      let afterDestroy = 0;
      let destroyed = false;
      stream.on('data', () => {
        if (destroyed) afterDestroy++;
        else {
          destroyed = true;
          stream.destroy();
        }
      });
      const closed = new Promise((resolve) => stream.on('close', resolve));
      stream.end(zlib.deflateSync(Buffer.concat([text, text, text, text, text])));
      await closed;
      return afterDestroy;
    });
    expect(result.zaccel).toEqual(result.node);
  });

  test('close(callback) calls back once the stream has closed', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const log: string[] = [];
      const stream = zlib.createGunzip();
      const done = record(stream, log);
      stream.close(() => log.push('close callback'));
      await done;
      await new Promise((resolve) => setImmediate(resolve));
      return log;
    });
    expect(result.zaccel).toEqual(result.node);
  });

  test('a data error is an error event with node:zlib fields, then close', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const stream = zlib.createGunzip();
      const log: string[] = [];
      let shape: unknown;
      stream.on(
        'error',
        (error: Error & { code: string; errno: number }) => (shape = [error.message, error.code, error.errno]),
      );
      const done = record(stream, log);
      stream.end(Buffer.from('this is not gzip'));
      await done;
      return { log, shape };
    });
    expect(result.zaccel).toEqual(result.node);
  });

  test('a truncated stream ends with unexpected end of file', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const stream = zlib.createInflate();
      const packed = zlib.deflateSync(text);
      const outcome = drain(stream).then(
        (output) => `ended with ${output.length}`,
        (error: Error & { code: string }) => `${error.code}: ${error.message}`,
      );
      stream.end(packed.subarray(0, packed.length - 10));
      return outcome;
    });
    expect(result.zaccel).toEqual(result.node);
  });
});

describe('flush()', () => {
  for (const kind of ['Z_NO_FLUSH', 'Z_PARTIAL_FLUSH', 'Z_SYNC_FLUSH', 'Z_FULL_FLUSH', 'Z_BLOCK']) {
    test(`flush(${kind}) calls back, and the output so far decodes as node's does`, async () => {
      const result = await sideBySide(async (zlib: Zlib) => {
        const stream = zlib.createDeflateRaw();
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.write(text);
        await new Promise<void>((resolve) => stream.flush(zlib.constants[kind], () => resolve()));
        await new Promise((resolve) => setImmediate(resolve));
        const sofar = Buffer.concat(chunks);
        const decoded = zlib.inflateRawSync(sofar, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
        stream.close();
        return { gotAll: decoded.equals(text), empty: sofar.length === 0 };
      });
      expect(result.zaccel).toEqual(result.node);
    });
  }

  test('flush() after end() calls back once the stream has ended', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const log: string[] = [];
      const stream = zlib.createDeflate();
      const done = record(stream, log);
      stream.resume();
      stream.end(text);
      stream.flush(() => log.push('flush callback'));
      await done;
      return log;
    });
    expect(result.zaccel).toEqual(result.node);
  });
});

describe('params()', () => {
  test('changes the level mid-stream: a stored block follows after a sync flush', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const stream = zlib.createDeflate({ level: 9 });
      const output = drain(stream);
      await new Promise<void>((resolve) => stream.write(text.subarray(0, 12 * 1024), () => resolve()));
      await new Promise<void>((resolve, reject) =>
        stream.params(0, zlib.constants.Z_DEFAULT_STRATEGY, (error?: Error) => (error ? reject(error) : resolve())),
      );
      stream.end(text.subarray(12 * 1024));
      const packed = await output;
      // Level 0 stores the second part: it appears verbatim in the output.
      return [
        zlib.inflateSync(packed).equals(text),
        packed.includes(text.subarray(20 * 1024, 21 * 1024)),
        stream._level,
      ];
    });
    expect(result.zaccel).toEqual(result.node);
    expect(result.zaccel).toEqual([true, true, 0]);
  });

  test('on an inflate stream, calls back and changes nothing', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const stream = zlib.createInflate();
      const output = drain(stream);
      const packed = zlib.deflateSync(text);
      stream.write(packed.subarray(0, 100));
      await new Promise<void>((resolve, reject) =>
        stream.params(1, 0, (error?: Error) => (error ? reject(error) : resolve())),
      );
      stream.end(packed.subarray(100));
      return (await output).equals(text);
    });
    expect(result.zaccel).toEqual(result.node);
  });

  test('with the same values calls back without a flush', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const stream = zlib.createDeflate({ level: 4 });
      const log: string[] = [];
      stream.on('data', () => log.push('data'));
      await new Promise<void>((resolve) => stream.params(4, 0, () => resolve()));
      log.push('called back');
      stream.close();
      return log;
    });
    expect(result.zaccel).toEqual(result.node);
  });
});

describe('state and options', () => {
  test('bytesWritten counts input consumed, bytesRead is its deprecated alias', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const stream = zlib.createGzip();
      const output = drain(stream);
      stream.write(text.subarray(0, 5000));
      stream.end(text.subarray(5000));
      await output;
      const warned = await new Promise((resolve) => {
        process.once('warning', (warning) => resolve((warning as Error & { code?: string }).code));
        void stream.bytesRead;
      });
      return [stream.bytesWritten, stream.bytesRead, warned];
    });
    expect(result.zaccel).toEqual(result.node);
    expect(result.zaccel).toEqual([text.length, text.length, 'DEP0108']);
  });

  test('reset() starts a new stream', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const stream = zlib.createDeflateRaw();
      const first: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => first.push(chunk));
      stream.write('abandoned input');
      await new Promise<void>((resolve) => stream.flush(() => resolve()));
      stream.reset();
      const after = first.length;
      const output = new Promise<Buffer>((resolve) =>
        stream.on('end', () => resolve(Buffer.concat(first.slice(after)))),
      );
      stream.end(text);
      return zlib.inflateRawSync(await output).equals(text);
    });
    expect(result.zaccel).toEqual(result.node);
  });

  test('highWaterMark and the other stream options are honoured', async () => {
    const result = await sideBySide((zlib: Zlib) => {
      const stream = zlib.createDeflate({ highWaterMark: 1234, objectMode: true, encoding: 'hex' });
      const facts = [
        stream.readableHighWaterMark,
        stream.writableHighWaterMark,
        stream.readableObjectMode,
        stream.readableEncoding,
      ];
      const split = zlib.createInflate({ readableHighWaterMark: 100, writableHighWaterMark: 200 });
      facts.push(split.readableHighWaterMark, split.writableHighWaterMark);
      stream.close();
      split.close();
      return facts;
    });
    expect(result.zaccel).toEqual(result.node);
  });

  test('a paused consumer holds output back (backpressure), and gets it all once it reads', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const big = Buffer.concat(Array.from({ length: 40 }, () => text));
      const packed = zlib.deflateSync(big);
      const stream = zlib.createInflate({ highWaterMark: 16 * 1024 });
      stream.end(packed);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const buffered = stream.readableLength;
      const output = await drain(stream);
      return [buffered < big.length / 4, output.equals(big)];
    });
    expect(result.zaccel).toEqual(result.node);
    expect(result.zaccel).toEqual([true, true]);
  });

  test('pipeline() through gzip and gunzip', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const chunks: Buffer[] = [];
      const sink = new Writable({
        write(chunk, _encoding, callback) {
          chunks.push(chunk);
          callback();
        },
      });
      await pipeline(Readable.from([text, text, text]), zlib.createGzip(), zlib.createGunzip(), sink);
      return Buffer.concat(chunks).equals(Buffer.concat([text, text, text]));
    });
    expect(result.zaccel).toEqual(result.node);
  });

  test('write after end is an error event', async () => {
    const result = await sideBySide(async (zlib: Zlib) => {
      const stream = zlib.createDeflate();
      stream.resume();
      stream.end(text);
      const error = await new Promise<Error & { code: string }>((resolve) => {
        stream.on('error', resolve);
        stream.write('more');
      });
      return error.code;
    });
    expect(result.zaccel).toEqual(result.node);
  });
});
