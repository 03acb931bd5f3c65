/**
 * deploy/Dockerfile, checked without a Docker engine: dockerfile-utils' linter (the one behind VS Code's Dockerfile
 * support) finds no problem, and dockerfile-ast's parse shows the properties the deployment relies on: two stages,
 * the runtime stage installing the tarball that the build stage packed, a non-root user, an exec-form CMD, and a
 * HEALTHCHECK on /readyz that needs nothing but node.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Copy, DockerfileParser, type Instruction, type JSONInstruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, test } from 'vitest';
import { packageRoot } from '../../src/machine/modules.js';

const text = readFileSync(join(packageRoot(), 'deploy/Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);

/** The instructions of each stage, from its FROM to the next one. */
function stages(): Instruction[][] {
  const result: Instruction[][] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

const keyword = (name: string) => (instruction: Instruction) => instruction.getKeyword() === name;
const content = (instruction: Instruction) => instruction.getArgumentsContent() ?? '';
const jsonStrings = (instruction: Instruction) =>
  (instruction as JSONInstruction).getJSONStrings().map((argument) => argument.getJSONValue());

describe('deploy/Dockerfile', () => {
  test('the linter finds nothing', () => {
    expect(validate(text).map((diagnostic) => `${diagnostic.range.start.line + 1}: ${diagnostic.message}`)).toEqual([]);
  });

  test('is multi-stage: the build stage packs the tarball, the runtime stage installs it', () => {
    const [build, runtime, ...rest] = stages();
    expect(rest).toEqual([]);
    const buildName = dockerfile.getFROMs()[0].getBuildStage();
    expect(buildName).toBe('build');
    expect(build.filter(keyword('RUN')).some((run) => /\bnpm pack\b/.test(content(run)))).toBe(true);
    const install = runtime.filter(keyword('RUN')).find((run) => /\bnpm install\b/.test(content(run)));
    expect(content(install!)).toMatch(/--engine-strict/);
    expect(content(install!)).toMatch(/\/tmp\/zaccel\.tgz/);
    // No toolchain and no sources in the runtime stage: only the tarball crosses over.
    const copies = runtime
      .filter(keyword('COPY'))
      .map((copy) => [(copy as Copy).getFromFlag()?.getValue(), content(copy)]);
    expect(copies).toEqual([[buildName, '/pkg/zaccel.tgz /tmp/zaccel.tgz']]);
    expect(runtime.filter(keyword('RUN')).map(content).join('\n')).not.toMatch(/emscripten|apt-get/);
  });

  test('the runtime stage runs as a non-root user, with an exec-form CMD', () => {
    const runtime = stages().at(-1)!;
    const users = runtime.filter(keyword('USER')).map(content);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const commands = runtime.filter(keyword('CMD'));
    expect(commands).toHaveLength(1);
    expect(content(commands[0]).trimStart().startsWith('[')).toBe(true);
    expect(jsonStrings(commands[0])).toEqual(['zaccel', 'serve']);
  });

  test('the HEALTHCHECK asks /readyz with node, in exec form', () => {
    const [healthcheck, ...others] = stages().at(-1)!.filter(keyword('HEALTHCHECK'));
    expect(others).toEqual([]);
    const check = content(healthcheck);
    expect(check).toMatch(/\bCMD \[/);
    const argv = JSON.parse(check.slice(check.indexOf('['))) as string[];
    expect(argv[0]).toBe('node');
    expect(argv.join(' ')).toContain('/readyz');
    expect(check).not.toMatch(/\b(curl|wget)\b/);
  });

  test('.dockerignore keeps build outputs and installed modules out of the context', () => {
    const ignored = readFileSync(join(packageRoot(), '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim());
    for (const entry of ['node_modules', 'dist', 'wasm/build', 'asm/build', '.git'])
      expect(ignored, entry).toContain(entry);
  });
});
