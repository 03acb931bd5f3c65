/**
 * The benchmark's contenders by name, apart from their code: the CLI lists
 * and checks them without loading pako, fflate or tinybench.
 */
export type ContenderName =
  | 'zaccel zlib (wasm)'
  | 'zaccel dfltcc single'
  | 'zaccel dfltcc multiple'
  | 'native zlib (gcc)'
  | 'node:zlib'
  | 'pako'
  | 'fflate';

export const ALL_CONTENDERS: ContenderName[] = [
  'zaccel zlib (wasm)',
  'zaccel dfltcc single',
  'zaccel dfltcc multiple',
  'native zlib (gcc)',
  'node:zlib',
  'pako',
  'fflate',
];
