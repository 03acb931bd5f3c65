/**
 * The part of the WebAssembly JavaScript API that zaccel uses, typed here rather than taken from TypeScript's DOM lib.
 *
 * Node has the `WebAssembly` global, but `@types/node` does not declare it: only `lib.dom` (and `lib.webworker`)
 * do. Compiling against the DOM lib would make every consumer of our `.d.ts` files add it too, and it would let
 * browser-only names slip into a Node library. So the machine imports `WebAssembly` from this module: the same
 * global object, with the types declared below. A consumer with the DOM lib sees two separate declarations that do
 * not merge, so nothing can conflict.
 */

interface WebAssemblyApi {
  Memory: new (descriptor: WebAssembly.MemoryDescriptor) => WebAssembly.Memory;
  Module: new (bytes: ArrayBufferView | ArrayBuffer) => WebAssembly.Module;
  Instance: new (module: WebAssembly.Module, imports?: WebAssembly.Imports) => WebAssembly.Instance;
}

/** Types only: the namespace merges with the value of the same name below. */
export declare namespace WebAssembly {
  /** Sizes in 64 KiB pages; a shared memory needs `maximum`. */
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  /** A linear memory: `buffer` is replaced (and the old one detached, unless shared) when it grows. */
  interface Memory {
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    /** Grows by `delta` pages and returns the previous size in pages. */
    grow(delta: number): number;
  }
  /** A compiled module: stateless, and can be posted to other threads. Opaque to the host. */
  interface Module {
    readonly __opaqueWasmModule?: never;
  }
  /** An instantiated module; exported functions take and return numbers here. */
  interface Instance {
    readonly exports: Record<string, unknown>;
  }
  /** Import objects: module name, then field name. */
  type Imports = Record<string, Record<string, unknown>>;
}

/** The global `WebAssembly` object, with the types above. */
export const WebAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
