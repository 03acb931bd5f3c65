#!/usr/bin/env node
// The interop harness: starts the zaccel service, runs the Python, Java, Go and shell clients in
// test/interop against it one after another, and reports a pass/fail count per language and in all.
//
//   node test/interop/run.mjs [--only python,java,go,shell] [--url URL] [--timeout SECONDS] [--verbose]
//   npm run test:interop
//
// --url runs the clients against a server that is already running instead of starting one.
// A language whose toolchain is missing, that times out, exits nonzero, or does not end with its
// "N passed, M failed" line fails: nothing is skipped. The last line is "N passed, M failed" in all,
// and the exit status is 1 when any language failed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

function parseArgs(argv) {
  const options = { only: undefined, url: process.env.ZACCEL_INTEROP_URL, timeoutSeconds: 300, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--only')
      options.only = value()
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean);
    else if (arg === '--url') options.url = value();
    else if (arg === '--timeout') options.timeoutSeconds = Number(value());
    else if (arg === '--verbose' || arg === '-v') options.verbose = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(
        'usage: node test/interop/run.mjs [--only python,java,go,shell] [--url URL] [--timeout SECONDS] [--verbose]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  if (!(options.timeoutSeconds > 0)) throw new Error('--timeout must be a positive number of seconds');
  return options;
}

/** Runs a short command; returns its output, or undefined when it could not run or failed. */
function probe(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  if (result.error || result.status !== 0) return undefined;
  return `${result.stdout}${result.stderr}`;
}

/** Where the logs of one run go (made by main). */
let work;

/**
 * Each language: how to find its toolchain (a description of what is missing, or undefined), and how
 * to run its client against a base URL. The clients use only their language's standard library.
 */
export const languages = {
  python: {
    missing() {
      const version = probe('python3', ['--version']);
      if (!version) return 'python3 not found';
      const [major, minor] = (version.match(/Python (\d+)\.(\d+)/) ?? []).slice(1).map(Number);
      return major === 3 && minor >= 8 ? undefined : `python3 is ${version.trim()}, need 3.8 or later`;
    },
    command: (url) => ['python3', [join(here, 'python/client.py'), url], {}],
  },
  java: {
    missing() {
      const version = probe('java', ['-version']);
      if (!version) return 'java not found (install a JDK 17 or later, e.g. openjdk-17-jdk-headless)';
      const major = Number((version.match(/version "(\d+)/) ?? [])[1]);
      return major >= 17 ? undefined : `java is version ${major}, need 17 or later`;
    },
    command: (url) => ['java', [join(here, 'java/Client.java'), url], {}],
  },
  go: {
    missing() {
      return probe('go', ['version'])
        ? undefined
        : 'go not found (Debian: apt-get install golang-go; .ci/run installs it)';
    },
    command(url) {
      // No module, no network; the build cache in a writable temporary directory unless one is set.
      const cache = join(tmpdir(), 'zaccel-interop-go');
      const env = {
        GOCACHE: process.env.GOCACHE ?? join(cache, 'cache'),
        GOPATH: process.env.GOPATH ?? join(cache, 'path'),
        GOFLAGS: process.env.GOFLAGS ?? '',
        GOPROXY: 'off',
        GOTOOLCHAIN: 'local',
        GO111MODULE: 'on',
      };
      mkdirSync(env.GOCACHE, { recursive: true });
      mkdirSync(env.GOPATH, { recursive: true });
      return ['go', ['run', 'client.go', url], { cwd: join(here, 'go'), env }];
    },
  },
  shell: {
    missing() {
      const absent = ['bash', 'curl', 'gzip', 'cmp'].filter((tool) => !probe('sh', ['-c', `command -v ${tool}`]));
      return absent.length === 0 ? undefined : `${absent.join(', ')} not found`;
    },
    command: (url) => ['bash', [join(here, 'shell/client.sh'), url], {}],
  },
};

const SUMMARY = /^(\d+) passed, (\d+) failed$/;
const CHECK = /^(ok|FAIL)\s+(\S.*)$/;

/** Counts a client's check lines, by engine where the check names one. */
export function tally(lines) {
  const counts = { passed: 0, failed: 0, byEngine: {}, failures: [], summary: undefined };
  for (const line of lines) {
    const summary = line.match(SUMMARY);
    if (summary) {
      counts.summary = { passed: Number(summary[1]), failed: Number(summary[2]) };
      continue;
    }
    const check = line.match(CHECK);
    if (!check) continue;
    const ok = check[1] === 'ok';
    if (ok) counts.passed++;
    else {
      counts.failed++;
      counts.failures.push(line);
    }
    const checkName = ok ? check[2] : check[2].split(': ')[0]; // a failure's reason follows ': '
    const engine = (checkName.match(/\bengine=(\w+)/) ?? [])[1] ?? 'engine-independent';
    counts.byEngine[engine] ??= { passed: 0, failed: 0 };
    const slot = counts.byEngine[engine];
    if (ok) slot.passed++;
    else slot.failed++;
  }
  return counts;
}

/** Runs one client to completion or until its time limit; resolves with its output and status. */
export function runClient(name, url, timeoutSeconds, verbose) {
  const [command, args, extra] = languages[name].command(url);
  const started = Date.now();
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, {
      cwd: extra.cwd ?? root,
      env: { ...process.env, ...extra.env, ZACCEL_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a time-out also ends what it started (curl, the go binary)
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      if (!verbose) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) console.log(`[${name}] ${line}`);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutSeconds * 1000);
    const finish = (code, signal, error) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, error, timedOut, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    };
    child.on('error', (error) => finish(null, null, error));
    child.on('close', (code, signal) => finish(code, signal, undefined));
  });
}

/** Starts `zaccel serve` on a free port; resolves with its URL once /readyz answers 200. */
async function startServer() {
  const logPath = join(work, 'server.log');
  writeFileSync(logPath, '');
  const log = openSync(logPath, 'a'); // stderr appends, and so does the copy of stdout below
  const server = spawn(process.execPath, ['dist/tools/cli/main.js', 'serve', '--host', '127.0.0.1', '--port', '0'], {
    cwd: root,
    env: { ...process.env, ZACCEL_LOG_LEVEL: process.env.ZACCEL_LOG_LEVEL ?? 'info' },
    stdio: ['ignore', 'pipe', log],
  });
  server.exited = new Promise((resolveExit) => server.on('exit', (code, signal) => resolveExit({ code, signal })));
  try {
    return { server, url: await waitUntilReady(server, logPath), logPath };
  } catch (error) {
    server.kill('SIGKILL');
    throw error;
  }
}

/** Reads the port from the server's "listening" log line, then polls /readyz; resolves with the URL. */
async function waitUntilReady(server, logPath) {
  let buffered = '';
  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the server did not report its port within 60 s (log: ${logPath})`)),
      60_000,
    );
    server.stdout.setEncoding('utf8').on('data', (chunk) => {
      writeFileSync(logPath, chunk, { flag: 'a' });
      const lines = (buffered + chunk).split('\n');
      buffered = lines.pop();
      for (const line of lines) {
        try {
          const entry = JSON.parse(line);
          if (entry.msg === 'listening' && Number.isInteger(entry.port)) {
            clearTimeout(timer);
            resolvePort(entry.port);
          }
        } catch {
          // not a JSON log line
        }
      }
    });
    server.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (code ${code}, signal ${signal}) before listening (log: ${logPath})`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.status === 200) break;
    } catch {
      // not accepting yet
    }
    if (Date.now() > deadline) throw new Error(`${url}/readyz did not answer 200 within 60 s (log: ${logPath})`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return url;
}

async function stopServer(server) {
  if (server.exitCode !== null || server.signalCode !== null) return server.exited;
  server.kill('SIGTERM');
  const killer = setTimeout(() => server.kill('SIGKILL'), 15_000);
  const result = await server.exited;
  clearTimeout(killer);
  return result;
}

async function runLanguage(name, url, options) {
  const missing = languages[name].missing();
  if (missing) {
    console.log(`# ${name}: could not run: ${missing}`);
    return { name, ok: false, passed: 0, failed: 1, line: `${name}: 0 passed, 1 failed (could not run: ${missing})` };
  }
  console.log(`# ${name}: running`);
  const run = await runClient(name, url, options.timeoutSeconds, options.verbose);
  const logPath = join(work, `${name}.log`);
  writeFileSync(logPath, `${run.stdout}\n--- stderr ---\n${run.stderr}`);
  const counts = tally(run.stdout.split('\n'));
  const problems = [];
  if (run.error) problems.push(`could not start: ${run.error.message}`);
  if (run.timedOut) problems.push(`timed out after ${options.timeoutSeconds} s`);
  else if (run.code !== 0) problems.push(`exited with ${run.code ?? run.signal}`);
  if (!counts.summary) problems.push('no "N passed, M failed" line');
  else if (counts.summary.passed !== counts.passed || counts.summary.failed !== counts.failed) {
    problems.push(
      `its summary (${counts.summary.passed} passed, ${counts.summary.failed} failed) disagrees with its check lines (${counts.passed}, ${counts.failed})`,
    );
  }
  for (const engine of ['zlib', 'dfltcc']) {
    if (!counts.byEngine[engine]?.passed) problems.push(`no check passed on engine=${engine}`);
  }
  // A client that went wrong without reporting a failed check still counts one.
  const failed = counts.failed + (problems.length > 0 && counts.failed === 0 ? 1 : 0);
  const engines = Object.entries(counts.byEngine)
    .map(
      ([engine, slot]) =>
        `${engine === 'engine-independent' ? engine : `engine=${engine}`} ${slot.passed}/${slot.passed + slot.failed}`,
    )
    .join(', ');
  const line = `${name}: ${counts.passed} passed, ${failed} failed (${engines || 'no checks'}; ${run.seconds.toFixed(1)} s)`;
  for (const failure of counts.failures) console.log(`  ${failure}`);
  for (const problem of problems) console.log(`  ${name}: ${problem}`);
  if (problems.length > 0 && run.stderr.trim()) {
    console.log(`  ${name} stderr (last lines):`);
    for (const errorLine of run.stderr.trim().split('\n').slice(-15)) console.log(`    ${errorLine}`);
  }
  if (failed > 0) console.log(`  full output: ${logPath}`);
  console.log(`# ${line}`);
  return { name, ok: failed === 0, passed: counts.passed, failed, line };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const names = options.only ?? Object.keys(languages);
  for (const name of names)
    if (!languages[name]) throw new Error(`unknown language ${name} (have ${Object.keys(languages).join(', ')})`);

  work = mkdtempSync(join(tmpdir(), 'zaccel-interop-'));
  const started = Date.now();
  let startedServer;
  let url = options.url;
  if (url) console.log(`# against ${url}`);
  else {
    startedServer = await startServer();
    url = startedServer.url;
    console.log(`# zaccel serve at ${url} (log: ${startedServer.logPath})`);
    const interrupted = () => {
      startedServer.server.kill('SIGTERM');
      process.exit(130);
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
  }

  const results = [];
  let serverProblem;
  try {
    for (const name of names) results.push(await runLanguage(name, url, options));
  } finally {
    if (startedServer) {
      const early = startedServer.server.exitCode !== null || startedServer.server.signalCode !== null;
      const { code, signal } = await stopServer(startedServer.server);
      if (early)
        serverProblem = `the server exited during the run (code ${code}, signal ${signal}); log: ${startedServer.logPath}`;
      else if (code !== 0)
        serverProblem = `the server did not shut down cleanly on SIGTERM (code ${code}, signal ${signal}); log: ${startedServer.logPath}`;
    }
  }

  console.log('');
  for (const result of results) console.log(result.line);
  const passed = results.reduce((sum, result) => sum + result.passed, 0);
  let failed = results.reduce((sum, result) => sum + result.failed, 0);
  if (serverProblem) {
    console.log(serverProblem);
    failed++;
  }
  console.log(`# ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
  if (failed === 0) rmSync(work, { recursive: true, force: true }); // the logs are kept when something failed
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
  });
}
