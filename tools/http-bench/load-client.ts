/**
 * The load generator of the HTTP benchmark, run as its own process so that
 * neither its CPU time nor its event loop counts as the server's:
 * autocannon posting one body, printing its result (and its own CPU time,
 * which shares the cores with the server) as JSON on stdout.
 *
 *   node dist/tools/http-bench/load-client.js '{"url":…,"bodyFile":…,"connections":4,"seconds":5}'
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface LoadOptions {
  url: string;
  bodyFile: string;
  connections: number;
  seconds: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const body = readFileSync(options.bodyFile);
const cpu = process.cpuUsage();
const result = await autocannon({
  url: options.url,
  method: 'POST',
  body,
  headers: { 'content-type': 'application/octet-stream' },
  connections: options.connections,
  duration: options.seconds,
  timeout: 30,
});
const used = process.cpuUsage(cpu);
process.stdout.write(
  `${JSON.stringify({
    cpuSeconds: (used.user + used.system) / 1e6,
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    duration: result.duration,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  })}\n`,
);
