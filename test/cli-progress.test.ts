/**
 * The progress line: one line that never wraps, whatever width the terminal
 * reports (0 or nothing included), and nothing at all when stderr is not a
 * terminal.
 */
import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { progressLine, progressText } from '../tools/cli/progress.js';

/** What a terminal shows of one update: the text after the erase sequence. */
const visible = (text: string) => {
  expect(text.startsWith('\r\x1b[2K')).toBe(true);
  return [...text.slice('\r\x1b[2K'.length)];
};

describe('progressText', () => {
  const message = 'deflate zaccel dfltcc multiple, level 6, 65536-byte chunks, corpus mixed: repetition 2 of 3';

  test('a wide terminal shows the whole message', () => {
    expect(visible(progressText(12.4, message, 200)).join('')).toBe(`[12s] ${message}`);
  });

  test('a narrow terminal gets the message cut to one column less than its width, marked with an ellipsis', () => {
    for (const columns of [40, 20, 5, 2, 1]) {
      const shown = visible(progressText(3, message, columns));
      expect(shown.length, `${columns} columns`).toBe(Math.max(columns - 1, 1));
      if (columns > 2) expect(shown[shown.length - 1]).toBe('…');
    }
    expect(visible(progressText(3, message, 40)).join('')).toBe(`${`[3s] ${message}`.slice(0, 38)}…`);
  });

  test('0 columns, no columns or nonsense columns: 80, never the collapsed "[1s"', () => {
    for (const columns of [0, undefined, Number.NaN, -3]) {
      const shown = visible(progressText(1, message, columns));
      expect(shown.length).toBe(79);
      expect(shown.join('')).toMatch(/^\[1s\] deflate zaccel/);
    }
  });
});

describe('progressLine', () => {
  function fakeStream(isTTY: boolean, columns: number | undefined) {
    const written: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk.toString());
        callback();
      },
    }) as unknown as NodeJS.WriteStream;
    Object.assign(stream, { isTTY, columns });
    return { stream, written };
  }

  test('a terminal gets updates and a final erase; a pipe gets nothing', async () => {
    let clock = 1_000_000;
    const terminal = fakeStream(true, 0);
    const onTerminal = progressLine(terminal.stream, () => clock);
    onTerminal.update('working');
    clock += 2_600;
    onTerminal.update('still working');
    onTerminal.done();
    const pipe = fakeStream(false, undefined);
    const onPipe = progressLine(pipe.stream);
    onPipe.update('working');
    onPipe.done();
    await new Promise((resolve) => setImmediate(resolve));
    expect(terminal.written).toEqual(['\r\x1b[2K[0s] working', '\r\x1b[2K[3s] still working', '\r\x1b[2K']);
    expect(pipe.written).toEqual([]);
  });
});
