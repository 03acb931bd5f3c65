/**
 * One status line for long runs, redrawn in place when stderr is a
 * terminal, and silent otherwise (pipes, CI, --json consumers).
 */
export interface Progress {
  update(message: string): void;
  done(): void;
}

export function progressLine(): Progress {
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  return {
    update(message) {
      if (!tty) return;
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      process.stderr.write(`\r\x1b[2K[${seconds}s] ${message}`.slice(0, (process.stderr.columns ?? 120) + 8));
    },
    done() {
      if (tty) process.stderr.write('\r\x1b[2K');
    },
  };
}
