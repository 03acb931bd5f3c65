/**
 * One status line for long runs, redrawn in place when stderr is a
 * terminal, and silent otherwise (pipes, CI, --json consumers).
 */
export interface Progress {
  update(message: string): void;
  done(): void;
}

/** Terminals that report no width (0 or undefined: some CI consoles, `stty cols 0`) get this. */
const FALLBACK_COLUMNS = 80;

/**
 * The text to print for one update: carriage return, erase the line, then
 * the message cut to one column less than the terminal's width, so the line
 * never wraps (a wrapped line would not be erased by the next update). The
 * cut counts characters of the message only: the control sequence takes no
 * columns.
 */
export function progressText(seconds: number, message: string, columns: number | undefined): string {
  const width =
    columns !== undefined && Number.isFinite(columns) && columns > 0 ? Math.floor(columns) : FALLBACK_COLUMNS;
  const line = [...`[${seconds.toFixed(0)}s] ${message}`];
  const room = Math.max(width - 1, 1);
  const shown = line.length > room ? `${line.slice(0, room - 1).join('')}…` : line.join('');
  return `\r\x1b[2K${shown}`;
}

/** `stream` and `now` are parameters for the tests: a fake terminal and a clock that does not depend on the machine's load. */
export function progressLine(stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): Progress {
  const tty = stream.isTTY === true;
  const started = now();
  return {
    update(message) {
      if (!tty) return;
      stream.write(progressText((now() - started) / 1000, message, stream.columns));
    },
    done() {
      if (tty) stream.write('\r\x1b[2K');
    },
  };
}
