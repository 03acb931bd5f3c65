/** Loads one third-party package, so cli-startup.test.ts can check that its load hook sees such loads. */
await import('pako');
