/**
 * Feeding a request body to a worker: as it arrives, with the socket paused
 * while the worker has a full input window, and stopped (not drained) as
 * soon as the write failed, the body passed its limit, or the client left.
 */
import { Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientGoneError, ServiceError } from './errors.js';
import { IdleTimer } from './idle-timer.js';
import type { WriteCall } from './pool.js';

export interface PumpResult {
  bytes: number;
}

/**
 * Resolves with the body's size when it ended; rejects on the first failure, leaving the rest unread.
 * While the body is being read (not while it is paused for the worker), a gap of `idleMs` without a byte
 * (idle-timer.ts) rejects with 408 ZACCEL_TIMEOUT: a client that stalls cannot hold a slot for longer than that.
 * A request from a real socket gets each body chunk in a Buffer of its own, which nothing else holds
 * after 'data': those are handed to the worker without a copy. Other sources (inject) are copied.
 */
export function pumpBody(source: Readable, write: WriteCall, limit: number, idleMs: number): Promise<PumpResult> {
  const owned = (source as { socket?: unknown }).socket instanceof Socket;
  return new Promise<PumpResult>((resolve, reject) => {
    let bytes = 0;
    let settled = false;
    let ended = false;
    const idle = new IdleTimer(idleMs, () =>
      stop(new ServiceError('ZACCEL_TIMEOUT', `no byte of the request body came for ${idleMs} ms`)),
    );
    const stop = (error?: Error) => {
      if (settled) return;
      settled = true;
      idle.stop();
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
      if (error === undefined) {
        resolve({ bytes });
      } else {
        source.pause();
        reject(error);
      }
    };
    const onData = (chunk: Buffer) => {
      if (settled) return;
      idle.touch();
      bytes += chunk.length;
      if (bytes > limit) {
        stop(new ServiceError('ZACCEL_BODY_TOO_LARGE', `the request body is larger than the limit of ${limit} bytes`));
        return;
      }
      let wait: Promise<void> | undefined;
      try {
        wait = write.send(chunk, owned);
      } catch (error) {
        stop(error as Error);
        return;
      }
      if (wait !== undefined) {
        // Paused for the worker: the client is not late while we are.
        idle.pause();
        source.pause();
        wait.then(
          () => {
            if (settled) return;
            idle.touch();
            source.resume();
          },
          (error: Error) => stop(error),
        );
      }
    };
    const onEnd = () => {
      ended = true;
      stop();
    };
    const onError = (error: Error) => stop(new ClientGoneError(`the request body failed: ${error.message}`));
    const onClose = () => {
      if (!ended) stop(new ClientGoneError('the client closed the connection before the body ended'));
    };
    if (source.readableEnded) {
      stop();
      return;
    }
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    source.on('close', onClose);
    idle.touch();
    // The worker refused the input (bad data, output limit): stop reading the body at once.
    write.completed.catch((error: Error) => stop(error));
  });
}

/**
 * Before an error answer: when the request's body has not all arrived (and the connection is not already
 * marked to close), read and drop it within discardRest's budget; past that budget the answer closes the
 * connection.
 */
export async function settleBody(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const raw = request.raw;
  if (raw.complete || raw.destroyed || raw.readableEnded || reply.getHeader('connection') === 'close') return;
  if (!(await discardRest(raw, declaredLength(raw.headers)))) reply.header('connection', 'close');
}

/** The Content-Length header as a number, when there is one. */
export function declaredLength(headers: Record<string, string | string[] | undefined>): number | undefined {
  const value = headers['content-length'];
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * For a body that Fastify parses itself (JSON): the same body stream, failing with 408 ZACCEL_TIMEOUT when no
 * byte came for `idleMs`. Fastify reads it to its end without pausing, so every gap is the client's.
 */
export function idleLimitedBody(source: Readable, idleMs: number): Readable {
  const limited = new PassThrough();
  const idle = new IdleTimer(idleMs, () => {
    source.unpipe(limited);
    source.pause();
    limited.destroy(new ServiceError('ZACCEL_TIMEOUT', `no byte of the request body came for ${idleMs} ms`));
  });
  idle.touch();
  source.on('data', () => idle.touch());
  const stop = () => idle.stop();
  source.once('end', stop);
  source.once('close', stop);
  limited.once('close', stop);
  // Fastify's parser listens for the error when it reads the body; a route that reads none must not crash on it.
  limited.on('error', () => {});
  source.pipe(limited);
  return limited;
}

/** How much of an unread body is read and thrown away before an early answer, at most. */
const DISCARD_BYTES = 64 * 1024 * 1024;
const DISCARD_MS = 10_000;

/**
 * Before an answer to a request whose body was not read (an error found early), read and discard the
 * rest of the body. A client that sends its whole body before it reads (Python's urllib, Java's
 * HttpClient) would otherwise get a reset instead of the answer: a socket closed with unread data in it
 * resets the connection. Resolves true once the body has ended; false when the body is known to be, or
 * turns out to be, too large (over 64 MiB, or still coming after 10 s): then the caller closes the
 * connection with the answer, as the only way left.
 */
export function discardRest(source: Readable & { complete?: boolean }, declared: number | undefined): Promise<boolean> {
  if (source.readableEnded || source.complete === true) return Promise.resolve(true);
  if (declared !== undefined && declared > DISCARD_BYTES) return Promise.resolve(false);
  return new Promise((resolve) => {
    let discarded = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('close', onClose);
      if (!ended) source.pause();
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > DISCARD_BYTES) finish(false);
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(source.readableEnded);
    const timer = setTimeout(() => finish(false), DISCARD_MS);
    timer.unref();
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('close', onClose);
    source.resume();
  });
}
