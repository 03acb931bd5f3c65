/**
 * The service's configuration: every setting with its default, its command
 * line flag and its environment variable, in one table. Flags win over the
 * environment, which wins over the defaults.
 */
import { availableParallelism, hostname } from 'node:os';
import { ZaccelError } from '../src/index.js';

export interface ServerConfig {
  /** Interface to listen on. */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Worker threads that do the compression. */
  workers: number;
  /** Largest request body of a one-shot (POST /v1/deflate, /v1/inflate), in bytes. */
  maxBodyBytes: number;
  /** Largest body of one write to a stateful stream, in bytes. */
  maxWriteBytes: number;
  /** Inflate output cap when the request names none (maxOutput), in bytes. */
  maxOutputBytes: number;
  /** The largest maxOutput a request may ask for, in bytes. */
  maxOutputLimitBytes: number;
  /** Stateful streams open at once. */
  maxStreams: number;
  /** A stream without a request for this long is closed (reaped), in milliseconds. */
  streamIdleMs: number;
  /** Writes (and the DELETE) that may wait behind the running one on one stream. */
  maxQueuedWrites: number;
  /** One-shot requests and stream writes in progress at once; more are refused with 503. */
  maxInflight: number;
  /** Output held back before a response commits to 200, so early errors still get a JSON answer, in bytes. */
  commitBytes: number;
  /** Largest size the shared Machine memory may grow to, in bytes. */
  machineBytes: number;
  /** Time SIGTERM waits for requests in flight before the process exits anyway, in milliseconds. */
  shutdownTimeoutMs: number;
  /** A request whose headers are not complete this long after its connection opened is answered 408 and closed, in milliseconds. */
  headerTimeoutMs: number;
  /** A body that sends no byte for this long, while the server reads it, is answered 408 and closed, in milliseconds. */
  bodyTimeoutMs: number;
  /** A client that takes no byte of its answer for this long is disconnected, in milliseconds. */
  sendTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long, in milliseconds. */
  keepaliveTimeoutMs: number;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
  /** A JSON file of bearer tokens (server/security/tokens.ts); when set, every route but /healthz and /readyz needs one. */
  authTokens: string | undefined;
  /** Streams one client may hold open when there are no tokens (a client: one IPv4 address, or one IPv6 /64). */
  maxStreamsPerClient: number;
  /** Origins (scheme://host[:port]) whose browser requests are served; any other request with an Origin gets 403. */
  allowOrigins: string[];
  /** Host header values accepted; empty: the loopback names and the bind address, checked only on a loopback bind. */
  allowedHosts: string[];
  /** Cluster mode: the Redis URL (redis://HOST:PORT) where streams, their leases and checkpoints live. */
  redis: string | undefined;
  /** This instance's name in the cluster (x-zaccel-instance, lease tokens). */
  instanceId: string;
  /** A stream lease's time to live, renewed every third of it: bounds takeover after a crash, in milliseconds. */
  leaseMs: number;
  /** How long a request waits for the instance holding its stream to hand it over, in milliseconds. */
  handoverMs: number;
}

/** `file`: a path (or a URL), unset when empty. `list`: comma-separated, and the flag may be repeated. */
type Kind = 'integer' | 'bytes' | 'string' | 'level' | 'file' | 'list';

export interface Setting {
  key: keyof ServerConfig;
  flag: string;
  env: string;
  kind: Kind;
  /** Smallest value allowed, for numbers. */
  min?: number;
  description: string;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export function defaultConfig(): ServerConfig {
  return {
    host: '127.0.0.1',
    port: 8080,
    workers: Math.max(1, availableParallelism()),
    maxBodyBytes: 4 * GiB,
    maxWriteBytes: 16 * MiB,
    maxOutputBytes: 256 * MiB,
    maxOutputLimitBytes: 8 * GiB,
    maxStreams: 1024,
    streamIdleMs: 60_000,
    maxQueuedWrites: 16,
    maxInflight: 256,
    commitBytes: 1 * MiB,
    machineBytes: 1 * GiB,
    shutdownTimeoutMs: 30_000,
    // nginx's client_header_timeout, client_body_timeout and send_timeout are 60 s; so are ours.
    headerTimeoutMs: 60_000,
    bodyTimeoutMs: 60_000,
    sendTimeoutMs: 60_000,
    keepaliveTimeoutMs: 60_000,
    logLevel: 'info',
    authTokens: undefined,
    maxStreamsPerClient: 256,
    allowOrigins: [],
    allowedHosts: [],
    redis: undefined,
    instanceId: `${hostname()}-${process.pid}`,
    leaseMs: 5_000,
    handoverMs: 2_000,
  };
}

/** Every setting, as the README's configuration table lists it. */
export const settings: Setting[] = [
  { key: 'host', flag: '--host', env: 'ZACCEL_HOST', kind: 'string', description: 'interface to listen on' },
  {
    key: 'port',
    flag: '--port',
    env: 'ZACCEL_PORT',
    kind: 'integer',
    min: 0,
    description: 'TCP port (0: any free port)',
  },
  {
    key: 'workers',
    flag: '--workers',
    env: 'ZACCEL_WORKERS',
    kind: 'integer',
    min: 1,
    description: 'compression worker threads',
  },
  {
    key: 'maxBodyBytes',
    flag: '--max-body',
    env: 'ZACCEL_MAX_BODY',
    kind: 'bytes',
    min: 1,
    description: 'largest one-shot request body',
  },
  {
    key: 'maxWriteBytes',
    flag: '--max-write',
    env: 'ZACCEL_MAX_WRITE',
    kind: 'bytes',
    min: 1,
    description: 'largest body of one stream write',
  },
  {
    key: 'maxOutputBytes',
    flag: '--max-output',
    env: 'ZACCEL_MAX_OUTPUT',
    kind: 'bytes',
    min: 1,
    description: 'inflate output cap when a request sets no maxOutput',
  },
  {
    key: 'maxOutputLimitBytes',
    flag: '--max-output-limit',
    env: 'ZACCEL_MAX_OUTPUT_LIMIT',
    kind: 'bytes',
    min: 1,
    description: 'largest maxOutput a request may ask for',
  },
  {
    key: 'maxStreams',
    flag: '--max-streams',
    env: 'ZACCEL_MAX_STREAMS',
    kind: 'integer',
    min: 1,
    description: 'stateful streams open at once',
  },
  {
    key: 'streamIdleMs',
    flag: '--stream-idle-ms',
    env: 'ZACCEL_STREAM_IDLE_MS',
    kind: 'integer',
    min: 1,
    description: 'idle time after which a stream is closed',
  },
  {
    key: 'maxQueuedWrites',
    flag: '--max-queued-writes',
    env: 'ZACCEL_MAX_QUEUED_WRITES',
    kind: 'integer',
    min: 1,
    description: 'requests waiting behind the running one on a stream',
  },
  {
    key: 'maxInflight',
    flag: '--max-inflight',
    env: 'ZACCEL_MAX_INFLIGHT',
    kind: 'integer',
    min: 1,
    description: 'one-shots and stream writes in progress at once',
  },
  {
    key: 'commitBytes',
    flag: '--commit-bytes',
    env: 'ZACCEL_COMMIT_BYTES',
    kind: 'bytes',
    min: 1,
    description: 'output held back before a response commits to 200',
  },
  {
    key: 'machineBytes',
    flag: '--machine-bytes',
    env: 'ZACCEL_MACHINE_BYTES',
    kind: 'bytes',
    min: 4 * MiB,
    description: 'largest size of the shared Machine memory (at most 2 GiB)',
  },
  {
    key: 'shutdownTimeoutMs',
    flag: '--shutdown-timeout-ms',
    env: 'ZACCEL_SHUTDOWN_TIMEOUT_MS',
    kind: 'integer',
    min: 0,
    description: 'how long SIGTERM waits for requests in flight',
  },
  {
    key: 'headerTimeoutMs',
    flag: '--header-timeout-ms',
    env: 'ZACCEL_HEADER_TIMEOUT_MS',
    kind: 'integer',
    min: 1,
    description: 'time a client has to send its request headers',
  },
  {
    key: 'bodyTimeoutMs',
    flag: '--body-timeout-ms',
    env: 'ZACCEL_BODY_TIMEOUT_MS',
    kind: 'integer',
    min: 1,
    description: 'longest pause between two pieces of a request body',
  },
  {
    key: 'sendTimeoutMs',
    flag: '--send-timeout-ms',
    env: 'ZACCEL_SEND_TIMEOUT_MS',
    kind: 'integer',
    min: 1,
    description: 'longest time a client may take no byte of its answer',
  },
  {
    key: 'keepaliveTimeoutMs',
    flag: '--keepalive-timeout-ms',
    env: 'ZACCEL_KEEPALIVE_TIMEOUT_MS',
    kind: 'integer',
    min: 1,
    description: 'idle time after which a keep-alive connection is closed',
  },
  { key: 'logLevel', flag: '--log-level', env: 'ZACCEL_LOG_LEVEL', kind: 'level', description: 'pino log level' },
  {
    key: 'authTokens',
    flag: '--auth-tokens',
    env: 'ZACCEL_AUTH_TOKENS',
    kind: 'file',
    description: 'JSON file of bearer tokens; every route but /healthz and /readyz then needs one',
  },
  {
    key: 'maxStreamsPerClient',
    flag: '--max-streams-per-client',
    env: 'ZACCEL_MAX_STREAMS_PER_CLIENT',
    kind: 'integer',
    min: 1,
    description: 'streams one client address may hold open (without tokens)',
  },
  {
    key: 'allowOrigins',
    flag: '--allow-origin',
    env: 'ZACCEL_ALLOW_ORIGINS',
    kind: 'list',
    description: 'a browser origin allowed to call the service (repeatable)',
  },
  {
    key: 'redis',
    flag: '--redis',
    env: 'ZACCEL_REDIS',
    kind: 'file',
    description: 'cluster mode: the Redis URL (redis://HOST:PORT) holding streams, leases and checkpoints',
  },
  {
    key: 'instanceId',
    flag: '--instance-id',
    env: 'ZACCEL_INSTANCE_ID',
    kind: 'string',
    description: "this instance's name in the cluster (default: host-pid)",
  },
  {
    key: 'leaseMs',
    flag: '--lease-ms',
    env: 'ZACCEL_LEASE_MS',
    kind: 'integer',
    min: 100,
    description: 'stream lease time to live in cluster mode (takeover after a crash)',
  },
  {
    key: 'handoverMs',
    flag: '--handover-ms',
    env: 'ZACCEL_HANDOVER_MS',
    kind: 'integer',
    min: 0,
    description: 'longest wait for a peer to hand a stream over (then 503)',
  },
  {
    key: 'allowedHosts',
    flag: '--allowed-hosts',
    env: 'ZACCEL_ALLOWED_HOSTS',
    kind: 'list',
    description: 'Host header values accepted (default on loopback: loopback names and the bind address)',
  },
];

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const units: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: MiB,
  mb: MiB,
  mib: MiB,
  g: GiB,
  gb: GiB,
  gib: GiB,
};

/** "1048576", "64k", "16MiB", "1g": binary units, case-insensitive. */
export function parseBytes(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match === null ? undefined : units[match[2].toLowerCase()];
  if (match === null || unit === undefined) return Number.NaN;
  return Math.round(Number(match[1]) * unit);
}

/** Items of a list setting: comma-separated, blanks dropped; a repeated flag gives one text per use. */
function listItems(texts: string | string[]): string[] {
  return (Array.isArray(texts) ? texts : [texts])
    .flatMap((text) => text.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function parseValue(setting: Setting, text: string, source: string): string | number | string[] | undefined {
  const bad = (expected: string) =>
    new ZaccelError('ZACCEL_BAD_OPTION', `invalid ${source} ${JSON.stringify(text)}: expected ${expected}`);
  switch (setting.kind) {
    case 'string':
      if (text.length === 0) throw bad('a non-empty string');
      return text;
    case 'level':
      if (!logLevels.includes(text)) throw bad(logLevels.join(', '));
      return text;
    case 'file':
      return text.trim() === '' ? undefined : text;
    case 'list':
      return listItems(text);
    case 'integer':
    case 'bytes': {
      const value = setting.kind === 'bytes' ? parseBytes(text) : /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
      const min = setting.min ?? 0;
      if (!Number.isSafeInteger(value) || value < min) {
        throw bad(
          setting.kind === 'bytes' ? `a size of at least ${min} bytes (units k, m, g)` : `an integer >= ${min}`,
        );
      }
      return value;
    }
  }
}

/** Check the settings against each other; throws ZACCEL_BAD_OPTION. */
export function validateConfig(config: ServerConfig): ServerConfig {
  for (const setting of settings) {
    const value = config[setting.key];
    if (setting.kind === 'integer' || setting.kind === 'bytes') {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < (setting.min ?? 0)) {
        throw new ZaccelError('ZACCEL_BAD_OPTION', `invalid ${setting.key}: ${String(value)}`);
      }
    }
  }
  if (config.port > 65535) throw new ZaccelError('ZACCEL_BAD_OPTION', `invalid port: ${config.port}`);
  if (config.machineBytes > 2 * GiB) throw new ZaccelError('ZACCEL_BAD_OPTION', 'machineBytes: at most 2 GiB');
  if (config.maxOutputBytes > config.maxOutputLimitBytes) {
    throw new ZaccelError('ZACCEL_BAD_OPTION', 'maxOutputBytes must not be above maxOutputLimitBytes');
  }
  if (!logLevels.includes(config.logLevel))
    throw new ZaccelError('ZACCEL_BAD_OPTION', `invalid logLevel: ${config.logLevel}`);
  // The values themselves (origins, hosts, the tokens file) are checked by server/security when the server is built.
  for (const key of ['allowOrigins', 'allowedHosts'] as const) {
    if (!Array.isArray(config[key]) || !config[key].every((item) => typeof item === 'string')) {
      throw new ZaccelError('ZACCEL_BAD_OPTION', `invalid ${key}: expected a list of strings`);
    }
  }
  return config;
}

/**
 * The configuration from flags (already parsed into strings by the CLI,
 * keyed by setting key), the environment, and the defaults.
 */
export function resolveConfig(
  flags: Partial<Record<keyof ServerConfig, string | string[]>> = {},
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<ServerConfig> = {},
): ServerConfig {
  const config = defaultConfig() as unknown as Record<string, string | number | string[] | undefined>;
  for (const setting of settings) {
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv !== '') config[setting.key] = parseValue(setting, fromEnv, setting.env);
    // A flag replaces the environment's value, lists included. Only list flags may be repeated; for others the last wins.
    const fromFlag = flags[setting.key];
    if (fromFlag === undefined) continue;
    if (setting.kind === 'list') config[setting.key] = listItems(fromFlag);
    else
      config[setting.key] = parseValue(
        setting,
        Array.isArray(fromFlag) ? fromFlag[fromFlag.length - 1] : fromFlag,
        setting.flag,
      );
  }
  return validateConfig({ ...(config as unknown as ServerConfig), ...overrides });
}
