/**
 * The Host header check against DNS rebinding, through a real listener on
 * 127.0.0.1: on a loopback bind only the loopback names and the bind address
 * are answered (with any port); any other Host gets 421
 * ZACCEL_HOST_NOT_ALLOWED and the connection is closed. `--allowed-hosts`
 * replaces the list; on other interfaces there is no check unless it is given.
 */
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig } from '../../server/config.js';
import { HostPolicy, isLoopbackBind, parseHost } from '../../server/security/hosts.js';
import { listen, request, testServer, textBytes } from './helpers.js';

let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  app = await testServer({ host: '127.0.0.1' });
  port = await listen(app);
});
afterAll(async () => {
  await app.close();
});

/**
 * One raw HTTP/1.x exchange, so that the Host header is exactly what the test says (or absent). The socket is
 * neither ended nor asked to close: it closes only when the server closes it.
 */
function raw(serverPort: number, head: string, body = ''): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(serverPort, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const split = text.indexOf('\r\n\r\n');
      resolve({
        status: Number(text.slice(9, 12)),
        headers: text.slice(0, split).toLowerCase(),
        body: text.slice(split + 4),
      });
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
    socket.write(`${head}\r\n${body.length > 0 ? `content-length: ${body.length}\r\n` : ''}\r\n${body}`);
  });
}

describe('bound to loopback, by default', () => {
  test.each([
    'localhost',
    '127.0.0.1',
    '[::1]',
    'LOCALHOST',
    'localhost.',
    '127.0.0.1:9',
    '[::1]:65535',
    '[0:0:0:0:0:0:0:1]',
  ])('Host: %s (with the port) is answered', async (name) => {
    const host = /:\d+$/.test(name) && !name.endsWith(']') ? name : `${name}:${port}`;
    const answer = await request({ port, method: 'GET', path: '/v1/engines', headers: { host } });
    expect(answer.status).toBe(200);
  });

  test.each([
    'evil.example',
    'localhost.evil.example',
    'evil.example:80',
    '127.0.0.2',
    '10.0.0.1',
    'localhost@evil.example',
    'local host',
    '[::2]',
  ])('Host: %s gets 421 ZACCEL_HOST_NOT_ALLOWED, and the connection is closed', async (host) => {
    const answer = await raw(port, `GET /v1/engines HTTP/1.1\r\nhost: ${host}`);
    expect(answer.status).toBe(421);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'ZACCEL_HOST_NOT_ALLOWED' } });
    expect(answer.headers).toMatch(/^connection: close$/m);
  });

  test('DNS rebinding: a page of evil.example cannot read, write or delete, even /healthz', async () => {
    const opened = await request({
      port,
      path: '/v1/streams',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"mode":"deflate"}'),
    });
    const { id } = JSON.parse(opened.body.toString()) as { id: string };
    const rebound = { host: `evil.example:${port}` };
    for (const [method, path] of [
      ['GET', `/v1/streams/${id}`],
      ['POST', `/v1/streams/${id}/write?flush=sync`],
      ['DELETE', `/v1/streams/${id}`],
      ['POST', '/v1/deflate'],
      ['GET', '/healthz'],
      ['GET', '/metrics'],
    ]) {
      const answer = await request({
        port,
        method,
        path,
        headers: { ...rebound, 'content-type': 'text/plain' },
        body: method === 'POST' ? textBytes(50_000) : undefined,
      });
      expect(answer.status, `${method} ${path}`).toBe(421);
    }
    const info = await request({ port, method: 'GET', path: `/v1/streams/${id}` });
    expect(JSON.parse(info.body.toString())).toMatchObject({ state: 'open', writes: 0, bytesIn: 0 });
  });

  test('a request without a Host (HTTP/1.0) cannot come from a browser: it is answered', async () => {
    const answer = await raw(port, 'GET /healthz HTTP/1.0');
    expect(answer.status).toBe(200);
  });

  test('the bind address is on the default list', async () => {
    const server = await testServer({ host: '127.0.0.2' });
    try {
      const serverPort = await listen(server);
      expect(
        (await request({ port: serverPort, method: 'GET', path: '/healthz', headers: { host: '127.0.0.2:8080' } }))
          .status,
      ).toBe(200);
      expect(
        (await request({ port: serverPort, method: 'GET', path: '/healthz', headers: { host: '127.0.0.3:8080' } }))
          .status,
      ).toBe(421);
    } finally {
      await server.close();
    }
  });
});

describe('--allowed-hosts', () => {
  test('replaces the default list; a port in an entry must match', async () => {
    const server = await testServer({ host: '127.0.0.1', allowedHosts: ['zaccel.internal', 'api.example:8443'] });
    try {
      const serverPort = await listen(server);
      const status = async (host: string) =>
        (await request({ port: serverPort, method: 'GET', path: '/healthz', headers: { host } })).status;
      expect(await status('zaccel.internal:1234')).toBe(200);
      expect(await status('ZACCEL.internal')).toBe(200);
      expect(await status('api.example:8443')).toBe(200);
      expect(await status('api.example:8444')).toBe(421);
      expect(await status('api.example')).toBe(421);
      expect(await status(`localhost:${serverPort}`)).toBe(421);
    } finally {
      await server.close();
    }
  });

  test('"*" turns the check off', async () => {
    const server = await testServer({ host: '127.0.0.1', allowedHosts: ['*'] });
    try {
      const serverPort = await listen(server);
      expect(
        (await request({ port: serverPort, method: 'GET', path: '/healthz', headers: { host: 'anything.example' } }))
          .status,
      ).toBe(200);
    } finally {
      await server.close();
    }
  });

  test('not bound to loopback: no check by default, and the list when one is given', async () => {
    const open = await testServer({ host: '0.0.0.0' });
    const listed = await testServer({ host: '0.0.0.0', allowedHosts: ['zaccel.example.com'] });
    try {
      // The policy follows the configured bind address; the test listener itself stays on 127.0.0.1.
      const openPort = await listen(open);
      const listedPort = await listen(listed);
      expect(
        (await request({ port: openPort, method: 'GET', path: '/healthz', headers: { host: 'evil.example' } })).status,
      ).toBe(200);
      expect(
        (await request({ port: listedPort, method: 'GET', path: '/healthz', headers: { host: 'evil.example' } }))
          .status,
      ).toBe(421);
      expect(
        (await request({ port: listedPort, method: 'GET', path: '/healthz', headers: { host: 'zaccel.example.com' } }))
          .status,
      ).toBe(200);
    } finally {
      await open.close();
      await listed.close();
    }
  });

  test('an entry that is not a host stops the server with ZACCEL_BAD_OPTION', async () => {
    for (const entry of ['http://a.example', 'a.example/path', 'a b', 'a.example:99999']) {
      await expect(testServer({ allowedHosts: [entry] })).rejects.toMatchObject({
        zaccelCode: 'ZACCEL_BAD_OPTION',
        message: expect.stringContaining('--allowed-hosts'),
      });
    }
  });

  test('ZACCEL_ALLOWED_HOSTS is comma-separated, and the flag wins', () => {
    expect(resolveConfig({}, { ZACCEL_ALLOWED_HOSTS: 'a.example,b.example:8080' }).allowedHosts).toEqual([
      'a.example',
      'b.example:8080',
    ]);
    expect(resolveConfig({ allowedHosts: 'c.example' }, { ZACCEL_ALLOWED_HOSTS: 'a.example' }).allowedHosts).toEqual([
      'c.example',
    ]);
  });
});

describe('the pieces', () => {
  test('which bind addresses are loopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopbackBind(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', 'example.com', '::ffff:10.0.0.1'])
      expect(isLoopbackBind(host), host).toBe(false);
  });

  test('Host values are parsed as a URL parser does', () => {
    expect(parseHost('LocalHost.:8080')).toEqual({ name: 'localhost', port: 8080 });
    expect(parseHost('[::1]')).toEqual({ name: '::1', port: undefined });
    expect(parseHost('::1')).toEqual({ name: '::1', port: undefined });
    expect(parseHost('127.1')).toEqual({ name: '127.0.0.1', port: undefined });
    expect(parseHost('example.com:80')).toEqual({ name: 'example.com', port: 80 });
    for (const bad of ['', 'a@b', 'a/b', 'a b', 'a:b:c', 'a:99999']) expect(parseHost(bad), bad).toBeUndefined();
  });

  test('the default list is the loopback names and the bind address', () => {
    const policy = new HostPolicy('127.0.0.5', []);
    expect(policy.enforced).toBe(true);
    expect(policy.patterns.map((pattern) => pattern.name)).toEqual(['localhost', '127.0.0.1', '::1', '127.0.0.5']);
    expect(new HostPolicy('0.0.0.0', []).enforced).toBe(false);
  });
});
