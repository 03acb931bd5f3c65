/**
 * Prometheus metrics, in a registry of each server's own (so several servers
 * can live in one process, as the tests have them).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WorkerPool } from './pool.js';
import type { Mode, SessionReport } from './protocol.js';

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;
  readonly errors: Counter<'code'>;
  readonly bytesIn: Counter<'engine' | 'mode'>;
  readonly bytesOut: Counter<'engine' | 'mode'>;
  readonly fallbacks: Counter<'engine' | 'mode'>;
  readonly copyDecisions: Counter<'engine'>;
  readonly copies: Counter<'engine'>;
  readonly copyBytes: Counter<'engine'>;
  readonly copySeconds: Counter<'engine'>;
  readonly openStreams: Gauge;
  readonly inflight: Gauge;
  readonly streamsReaped: Counter;
  readonly aborted: Counter<'route' | 'phase'>;
  readonly endings: Counter<'route' | 'ending'>;
  readonly disconnects: Counter<'route' | 'phase'>;
  readonly timeouts: Counter<'kind'>;
  /** Cluster mode: streams taken over from Redis, let go to peers, and the checkpoints stored. */
  readonly takeovers: Counter;
  readonly letGo: Counter<'reason'>;
  readonly checkpointBytes: Counter;
  readonly checkpointSeconds: Histogram;

  constructor(pool: () => WorkerPool | undefined) {
    const registers = [this.registry];
    // Event-loop lag sampled every 10 ms (prom-client's default). Node's figures include the sampling interval (a
    // lag of L reads as about 10 ms + L); sampling every millisecond woke the event loop 1000 times a second, which
    // cost the main thread 19 ms of CPU a second, idle or not (3 ms at 10 ms).
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.requests = new Counter({
      name: 'zaccel_http_requests_total',
      help: 'HTTP requests answered, by route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'zaccel_http_request_duration_seconds',
      help: 'time from request to the end of the response',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.errors = new Counter({
      name: 'zaccel_errors_total',
      help: 'error answers and aborted responses, by code',
      labelNames: ['code'],
      registers,
    });
    this.bytesIn = new Counter({
      name: 'zaccel_bytes_in_total',
      help: 'bytes consumed by the engines',
      labelNames: ['engine', 'mode'],
      registers,
    });
    this.bytesOut = new Counter({
      name: 'zaccel_bytes_out_total',
      help: 'bytes produced by the engines',
      labelNames: ['engine', 'mode'],
      registers,
    });
    this.fallbacks = new Counter({
      name: 'zaccel_fallbacks_total',
      help: 'engine calls handed to software (DFLTCC fallbacks)',
      labelNames: ['engine', 'mode'],
      registers,
    });
    this.copyDecisions = new Counter({
      name: 'zaccel_copy_decisions_total',
      help: 'copy decisions made before deflate calls',
      labelNames: ['engine'],
      registers,
    });
    this.copies = new Counter({
      name: 'zaccel_copies_total',
      help: 'deflate calls whose input was copied first',
      labelNames: ['engine'],
      registers,
    });
    this.copyBytes = new Counter({
      name: 'zaccel_copy_bytes_total',
      help: 'bytes copied by the copy decision',
      labelNames: ['engine'],
      registers,
    });
    this.copySeconds = new Counter({
      name: 'zaccel_copy_seconds_total',
      help: 'time spent copying',
      labelNames: ['engine'],
      registers,
    });
    this.openStreams = new Gauge({ name: 'zaccel_open_streams', help: 'stateful streams open', registers });
    this.inflight = new Gauge({
      name: 'zaccel_inflight_requests',
      help: 'one-shots and stream writes in progress',
      registers,
    });
    this.streamsReaped = new Counter({
      name: 'zaccel_streams_reaped_total',
      help: 'streams closed after idling',
      registers,
    });
    this.aborted = new Counter({
      name: 'zaccel_aborted_total',
      help: 'answers cut off by the server: a failure after the response started (client disconnects: zaccel_client_disconnects_total)',
      labelNames: ['route', 'phase'],
      registers,
    });
    this.endings = new Counter({
      name: 'zaccel_request_endings_total',
      help: 'requests ended, by how: finished, failed, gone (the client left), timed-out, draining',
      labelNames: ['route', 'ending'],
      registers,
    });
    this.disconnects = new Counter({
      name: 'zaccel_client_disconnects_total',
      help: 'clients that closed the connection before their answer was complete, by phase: waiting, queued, reading, answering',
      labelNames: ['route', 'phase'],
      registers,
    });
    this.takeovers = new Counter({
      name: 'zaccel_cluster_takeovers_total',
      help: 'streams restored here from their Redis checkpoint',
      registers,
    });
    this.letGo = new Counter({
      name: 'zaccel_cluster_let_go_total',
      help: 'streams this instance let go: handover, lost lease, shutdown',
      labelNames: ['reason'],
      registers,
    });
    this.checkpointBytes = new Counter({
      name: 'zaccel_cluster_checkpoint_bytes_total',
      help: 'snapshot bytes stored in Redis after writes',
      registers,
    });
    this.checkpointSeconds = new Histogram({
      name: 'zaccel_cluster_checkpoint_seconds',
      help: 'time from a write completing to its checkpoint stored (snapshot and Redis)',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.timeouts = new Counter({
      name: 'zaccel_timeouts_total',
      help: 'connections closed by a timeout: header, body, send (keep-alive closes are not counted)',
      labelNames: ['kind'],
      registers,
    });
    new Gauge({
      name: 'zaccel_workers_ready',
      help: 'worker threads with their modules instantiated',
      registers,
      collect() {
        const current = pool();
        this.set(current?.ready === true ? current.handles.length : 0);
      },
    });
    const machineGauge = (
      name: string,
      help: string,
      pick: (stats: Awaited<ReturnType<WorkerPool['memoryStats']>>) => number,
    ) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const current = pool();
          if (current === undefined || !current.ready) return;
          try {
            this.set(pick(await current.memoryStats()));
          } catch {
            // A worker died during the scrape: the gauge keeps its last value.
          }
        },
      });
    machineGauge(
      'zaccel_machine_bytes_in_use',
      'bytes of Machine regions live, summed over the workers',
      (stats) => stats.bytesInUse,
    );
    machineGauge(
      'zaccel_machine_live_regions',
      'Machine regions live, summed over the workers',
      (stats) => stats.liveRegions,
    );
    machineGauge('zaccel_machine_memory_bytes', 'size of the shared Machine memory', (stats) => stats.memoryBytes);
    machineGauge('zaccel_worker_heap_bytes', "the workers' V8 heaps (physical), summed", (stats) => stats.heapBytes);
    machineGauge(
      'zaccel_worker_external_bytes',
      "ArrayBuffer memory the workers' heaps hold, summed",
      (stats) => stats.externalBytes,
    );
  }

  /** Count what a session did since its previous report. */
  onReport(mode: Mode, report: SessionReport, previous: SessionReport | undefined): void {
    const engine = report.engine;
    const add = (counter: Counter<string>, labels: Record<string, string>, now: number, before: number | undefined) => {
      const delta = now - (before ?? 0);
      if (delta > 0) counter.inc(labels, delta);
    };
    add(this.bytesIn, { engine, mode }, report.bytesIn, previous?.bytesIn);
    add(this.bytesOut, { engine, mode }, report.bytesOut, previous?.bytesOut);
    add(this.fallbacks, { engine, mode }, report.fallbacks, previous?.fallbacks);
    if (mode === 'deflate') {
      add(this.copyDecisions, { engine }, report.copies.decisions, previous?.copies.decisions);
      add(this.copies, { engine }, report.copies.copies, previous?.copies.copies);
      add(this.copyBytes, { engine }, report.copies.copyBytes, previous?.copies.copyBytes);
      add(
        this.copySeconds,
        { engine },
        report.copies.copyNanoseconds / 1e9,
        (previous?.copies.copyNanoseconds ?? 0) / 1e9,
      );
    }
  }
}
