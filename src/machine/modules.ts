/**
 * Finding and compiling zaccel's WebAssembly modules. Each module is compiled
 * once per thread; workers receive the compiled modules with a Machine's
 * descriptor instead of compiling again.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZaccelError } from '../errors.js';
import { WebAssembly } from './webassembly.js';

export type ModuleName = 'zlib' | 'dfltcc';

const modulePaths: Record<ModuleName, string> = {
  zlib: 'wasm/build/zlib.wasm',
  dfltcc: 'asm/build/dfltcc.wasm',
};

let packageRootCache: string | undefined;

/** The folder holding zaccel's package.json, whether we run from src/ or dist/src/. */
export function packageRoot(): string {
  if (packageRootCache !== undefined) return packageRootCache;
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(folder, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'zaccel') {
      packageRootCache = folder;
      return folder;
    }
    const parent = dirname(folder);
    if (parent === folder) throw new ZaccelError('ZACCEL_INTERNAL', 'cannot find the zaccel package root');
    folder = parent;
  }
}

export function modulePath(name: ModuleName): string {
  return join(packageRoot(), modulePaths[name]);
}

export function isModuleBuilt(name: ModuleName): boolean {
  return existsSync(modulePath(name));
}

const compiled = new Map<ModuleName, WebAssembly.Module>();

/** Compiles synchronously (Node allows any size), once per thread. */
export function compileModule(name: ModuleName): WebAssembly.Module {
  const cached = compiled.get(name);
  if (cached !== undefined) return cached;
  const path = modulePath(name);
  if (!existsSync(path)) {
    throw new ZaccelError('ZACCEL_NOT_BUILT', `${path} is missing: run npm run build`);
  }
  const bytes = readFileSync(path);
  const module = new WebAssembly.Module(bytes);
  compiled.set(name, module);
  hashes.set(name, createHash('sha256').update(bytes).digest());
  return module;
}

const hashes = new Map<ModuleName, Buffer>();

/**
 * The SHA-256 of a module's binary, as compiled in this thread (or, for a
 * module that arrived from another thread, as built on disk). Snapshots carry
 * these: a stream's state is only meaningful to the very same code.
 */
export function moduleHash(name: ModuleName): Buffer {
  let hash = hashes.get(name);
  if (hash === undefined) {
    const path = modulePath(name);
    if (!existsSync(path)) throw new ZaccelError('ZACCEL_NOT_BUILT', `${path} is missing: run npm run build`);
    hash = createHash('sha256').update(readFileSync(path)).digest();
    hashes.set(name, hash);
  }
  return hash;
}

/** Remember modules that arrived from another thread. */
export function adoptModule(name: ModuleName, module: WebAssembly.Module): void {
  if (!compiled.has(name)) compiled.set(name, module);
}
