/**
 * Medians and spreads of repeated measurements.
 */
export interface Spread {
  median: number;
  min: number;
  max: number;
  samples: number;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median =
    sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN, samples: sorted.length };
}

export const megabytesPerSecond = (bytes: number, seconds: number): number => bytes / seconds / 1e6;
