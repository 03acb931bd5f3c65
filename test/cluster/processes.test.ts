/**
 * The process helpers of the cluster test and benchmark (tools/cluster/processes.ts): a request must not pass a
 * cut-off answer for a complete one, a group kills what it started, a poll gives up at its deadline, and Redis
 * is up when startRedis says so.
 */
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { expect, test } from 'vitest';
import {
  accepts,
  freePort,
  ProcessGroup,
  REDIS_SERVER,
  request,
  startRedis,
  waitFor,
} from '../../tools/cluster/processes.js';

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as net.AddressInfo).port };
}

test('freePort gives a port that can be listened on', async () => {
  const port = await freePort();
  const server = net.createServer().listen(port, '127.0.0.1');
  await once(server, 'listening');
  server.close();
});

test('request returns a whole answer, and rejects one cut off before its end', async () => {
  const { server, port } = await listen((req, res) => {
    if (req.url === '/whole') {
      req.resume();
      res.setHeader('x-seen', req.headers['content-length'] ?? '');
      res.end('whole');
    } else {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only part');
      setImmediate(() => res.destroy());
    }
  });
  try {
    const answer = await request(port, 'POST', '/whole', Buffer.from('body'));
    expect(answer.status).toBe(200);
    expect(answer.headers['x-seen']).toBe('4');
    expect(answer.body.toString()).toBe('whole');
    await expect(request(port, 'GET', '/cut')).rejects.toThrow(/cut off|incomplete|aborted|socket hang up/);
  } finally {
    server.close();
  }
});

test('request gives up after its timeout', async () => {
  const { server, port } = await listen(() => {
    // never answers
  });
  try {
    await expect(request(port, 'GET', '/', undefined, {}, 50)).rejects.toThrow(/timed out/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('a process group kills every child it started', async () => {
  const group = new ProcessGroup();
  const children = [0, 1].map(() => group.start(process.execPath, ['-e', 'setInterval(() => {}, 1000)']));
  const exits = children.map((child) => once(child, 'exit'));
  group.killAll();
  const signals = (await Promise.all(exits)).map(([, signal]) => signal);
  expect(signals).toEqual(['SIGKILL', 'SIGKILL']);
});

test('waitFor resolves once its test holds, counts a throw as not yet, and fails at its deadline', async () => {
  let calls = 0;
  await waitFor('the third call', async () => {
    calls++;
    if (calls === 1) throw new Error('not up');
    return calls >= 3;
  });
  expect(calls).toBe(3);
  await expect(waitFor('never', async () => false, 150)).rejects.toThrow('timed out waiting for never');
});

test.skipIf(!existsSync(REDIS_SERVER))(
  'startRedis resolves with a Redis that answers, and the group stops it',
  async () => {
    const group = new ProcessGroup();
    try {
      const url = await startRedis(group);
      const port = Number(new URL(url).port);
      const socket = net.connect(port, '127.0.0.1');
      socket.end('PING\r\n');
      const [reply] = await once(socket, 'data');
      expect(String(reply)).toBe('+PONG\r\n');
      socket.destroy();
      group.killAll();
      await waitFor('redis-server to stop', async () => !(await accepts(port)), 10_000);
    } finally {
      group.killAll();
    }
  },
);
