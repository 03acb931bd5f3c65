/**
 * The thread pool behind the async API: its size (UV_THREADPOOL_SIZE's
 * default of 4, or set), async work going to its workers while the sync API
 * stays on the calling thread, and workers that neither keep an idle process
 * alive nor outlive closeThreadPool().
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as nodeZlib from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import * as zaccel from '../../src/index.js';
import { packageRoot } from '../../src/machine/modules.js';

const entry = pathToFileURL(join(packageRoot(), 'dist', 'src', 'index.js')).href;
const input = Buffer.from('pool '.repeat(50_000));

afterEach(async () => {
  await zaccel.closeThreadPool();
  zaccel.setThreadPoolSize(4);
});

/** Run an ES module snippet against the built library in a fresh process. */
function child(source: string, env: Record<string, string> = {}) {
  const env_ = { ...process.env, ...env };
  if (!('UV_THREADPOOL_SIZE' in env)) delete env_.UV_THREADPOOL_SIZE;
  return spawnSync(process.execPath, ['--input-type=module', '-e', `import * as zaccel from '${entry}';\n${source}`], {
    env: env_,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('size', () => {
  test("defaults to libuv's 4, and follows UV_THREADPOOL_SIZE as node does", () => {
    expect(child('console.log(zaccel.threadPoolSize());').stdout.trim()).toBe('4');
    expect(child('console.log(zaccel.threadPoolSize());', { UV_THREADPOOL_SIZE: '2' }).stdout.trim()).toBe('2');
    expect(child('console.log(zaccel.threadPoolSize());', { UV_THREADPOOL_SIZE: 'many' }).stdout.trim()).toBe('4');
  });

  test('setThreadPoolSize() checks its argument', () => {
    expect(() => zaccel.setThreadPoolSize(0)).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', zaccelCode: 'ZACCEL_BAD_OPTION' }),
    );
    expect(() => zaccel.setThreadPoolSize(1.5)).toThrow(RangeError);
    expect(() => zaccel.setThreadPoolSize('2' as unknown as number)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });

  test('four concurrent one-shots run on four workers; a smaller size caps them', async () => {
    const four = Array.from({ length: 4 }, () => zaccel.deflate(input));
    expect(zaccel.threadPoolStats()).toMatchObject({ size: 4, workers: 4, pending: 4 });
    await Promise.all(four);
    expect(zaccel.threadPoolStats().pending).toBe(0);
    await zaccel.closeThreadPool();

    zaccel.setThreadPoolSize(2);
    const capped = Array.from({ length: 4 }, () => zaccel.gzip(input));
    expect(zaccel.threadPoolStats()).toMatchObject({ size: 2, workers: 2, pending: 4 });
    for (const output of await Promise.all(capped)) expect(nodeZlib.gunzipSync(output).equals(input)).toBe(true);
  });

  test('shrinking ends the surplus workers once they are idle', async () => {
    await Promise.all(Array.from({ length: 4 }, () => zaccel.deflate(input)));
    expect(zaccel.threadPoolStats().workers).toBe(4);
    zaccel.setThreadPoolSize(1);
    // Terminating a worker takes a moment: wait for it (a hang here fails by the test's timeout).
    while (zaccel.threadPoolStats().workers > 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(zaccel.threadPoolStats().workers).toBe(1);
    expect(nodeZlib.inflateSync(await zaccel.deflate(input)).equals(input)).toBe(true);
  });
});

describe('where the work runs', () => {
  test('the sync API stays on the calling thread', () => {
    zaccel.inflateSync(zaccel.deflateSync(input));
    zaccel.gunzipSync(zaccel.gzipSync(input, { info: true }).buffer);
    expect(zaccel.threadPoolStats().workers).toBe(0);
  });

  test('a stream holds a session on one worker while open, and frees it on close', async () => {
    const stream = zaccel.createDeflate();
    stream.resume();
    await new Promise<void>((resolve) => stream.write(input, () => resolve()));
    expect(zaccel.threadPoolStats()).toMatchObject({ workers: 1, sessions: 1 });
    await new Promise<void>((resolve) => stream.close(() => resolve()));
    expect(zaccel.threadPoolStats().sessions).toBe(0);
  });

  test('closeThreadPool() fails work in flight with a coded error and ends the workers', async () => {
    const pending = zaccel.deflate(Buffer.alloc(32 << 20, 7));
    const failed = expect(pending).rejects.toMatchObject({ zaccelCode: 'ZACCEL_STREAM_CLOSED' });
    await zaccel.closeThreadPool();
    await failed;
    expect(zaccel.threadPoolStats().workers).toBe(0);
    // The pool starts again on demand.
    expect(nodeZlib.inflateSync(await zaccel.deflate(input)).equals(input)).toBe(true);
  });
});

describe('process lifetime', () => {
  test('idle workers do not keep the process alive, after one-shots and with a stream left open', () => {
    const result = child(`
      const out = await zaccel.deflate('x'.repeat(100000));
      zaccel.gzip(out, (error, packed) => console.log('callback', error, packed.length > 0));
      const idle = zaccel.createGzip();
      idle.write('written, never ended');
      idle.resume();
    `);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('callback null true');
  });

  test('a stream destroyed before its first request leaves no worker holding the process', () => {
    const result = child(`
      const stream = zaccel.createGunzip();
      stream.on('error', (error) => console.log('error', error.message));
      stream.write('not gzip');
      stream.destroy(new Error('gone'));
    `);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('error gone');
  });

  test('work in flight keeps the process alive until its callback has run', () => {
    const result = child(`
      zaccel.deflate(Buffer.alloc(16 << 20, 1), (error, packed) => console.log('done', error, packed.length));
    `);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/done null \d+/);
  });
});
