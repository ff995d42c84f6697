// Which packages a child process imports: pass PACKAGE_HOOK to `node --import`, then read its stderr with
// importedPackages.

/** A module hook that writes every package (bare specifier) the process imports to stderr as `PKG <name>`. */
export const PACKAGE_HOOK = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import { writeSync } from 'node:fs';
export async function resolve(spec, ctx, next) {
  if (!/^(\\\\.|\\\\/|node:|file:|data:)/.test(spec)) writeSync(2, 'PKG ' + spec + '\\\\n');
  return next(spec, ctx);
}\`));
`)}`;

/** The packages (`@scope/name` or `name`, without subpaths) a process run with PACKAGE_HOOK imported. */
export function importedPackages(stderr: string): Set<string> {
  const names = [...stderr.matchAll(/^PKG (.+)$/gm)].map((m) => m[1] ?? '');
  return new Set(names.map((n) => n.split('/').slice(0, n.startsWith('@') ? 2 : 1).join('/')));
}
