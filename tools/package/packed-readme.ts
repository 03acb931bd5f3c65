/**
 * The README as the package ships it: its relative links made absolute, so that they work on the registry's page
 * and in node_modules, where docs/, asm/ and test/ do not exist.
 *
 * `npm pack` and `npm publish` run `prepack` (`node dist/tools/package/packed-readme.js rewrite`) and `postpack`
 * (`... restore`): npm always packs the README.md at the package root, so the rewrite happens in place, with the
 * original kept in README.md.orig until postpack puts it back. A rewrite that finds a README.md.orig left by an
 * interrupted pack restores it first, so the original is never lost.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's browsing URL for files at its default branch, from package.json's `repository`. */
export function repositoryFileBase(repository: string | { url: string } | undefined): string {
  const url = typeof repository === 'string' ? repository : repository?.url;
  const match = url === undefined ? null : /github\.com[/:]([^/]+)\/([^/#]+?)(?:\.git)?(?:#.*)?$/.exec(url);
  if (match === null) throw new Error(`package.json's repository must name a GitHub repository, not ${String(url)}`);
  return `https://github.com/${match[1]}/${match[2]}/blob/HEAD/`;
}

/** A link target that points at a file of the repository: not a URL, an anchor, an absolute path or an e-mail. */
function isRelative(target: string): boolean {
  return !/^([a-z][a-z0-9+.-]*:|#|\/)/i.test(target);
}

/** `markdown` with every relative inline link `[text](target)` and reference `[label]: target` made absolute. */
export function absoluteLinks(markdown: string, base: string): string {
  const absolute = (target: string) => (isRelative(target) ? new URL(target, base).href : target);
  return markdown
    .replace(
      /(\]\()([^)\s]+)((?:\s+"[^"]*")?\))/g,
      (_, open: string, target: string, close: string) => `${open}${absolute(target)}${close}`,
    )
    .replace(/^(\s*\[[^\]]+\]:\s+)(\S+)/gm, (_, label: string, target: string) => `${label}${absolute(target)}`);
}

/** Relative link targets left in `markdown` (the packed README must have none). */
export function relativeLinks(markdown: string): string[] {
  const inline = [...markdown.matchAll(/\]\(([^)\s]+)/g)].map((match) => match[1]);
  const references = [...markdown.matchAll(/^\s*\[[^\]]+\]:\s+(\S+)/gm)].map((match) => match[1]);
  return [...inline, ...references].filter(isRelative);
}

function main(root: string, command: string | undefined): void {
  const readme = join(root, 'README.md');
  const saved = join(root, 'README.md.orig');
  if (command === 'rewrite') {
    if (existsSync(saved)) renameSync(saved, readme);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      repository?: string | { url: string };
    };
    const original = readFileSync(readme, 'utf8');
    writeFileSync(saved, original);
    writeFileSync(readme, absoluteLinks(original, repositoryFileBase(manifest.repository)));
  } else if (command === 'restore') {
    if (existsSync(saved)) renameSync(saved, readme);
  } else {
    throw new Error('usage: packed-readme.js rewrite|restore [package root]');
  }
}

if (process.argv[1]?.endsWith('packed-readme.js')) main(process.argv[3] ?? process.cwd(), process.argv[2]);
