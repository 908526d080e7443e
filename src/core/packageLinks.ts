// Where a link inside a package really leads (security issue 9). Links are resolved the way the file system
// will: component by component, following every link met on the way (a link to "." makes "a/.." climb out
// of the folder the text suggests), so `a -> .` plus `b -> a/../outside` is caught. Pure: the caller gives the
// links of the tree (from the tar listing before extraction, from the real folder after it).

/** Relative POSIX path inside the package (no leading "./") → the link's target text. */
export type LinkMap = ReadonlyMap<string, string>;

export type LinkResolution = { inside: true; path: string } | { inside: false; why: string };

/** Resolution stops after this many links, as the kernel does (ELOOP). */
const MAX_HOPS = 40;

function split(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

function absoluteText(target: string): boolean {
  return target.startsWith('/') || /^[A-Za-z]:/.test(target) || target.includes('\\');
}

/** Resolve a path relative to the package root, following every link on the way; does it stay inside? */
export function resolveInPackage(path: string, links: LinkMap): LinkResolution {
  const queue = split(path);
  const at: string[] = [];
  let hops = 0;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (c === '..') {
      if (at.length === 0) return { inside: false, why: 'climbs out of the package' };
      at.pop();
      continue;
    }
    at.push(c);
    const target = links.get(at.join('/'));
    if (target === undefined) continue;
    if (++hops > MAX_HOPS) return { inside: false, why: 'is a loop of links' };
    if (target === '' || absoluteText(target)) return { inside: false, why: `goes through a link to "${target}"` };
    at.pop(); // a link resolves from its own folder
    queue.unshift(...split(target));
  }
  return { inside: true, path: at.join('/') };
}

/** The first link (symbolic or hard) whose target leaves the package, with the reason; undefined when all stay inside. */
export function linkLeavingPackage(symlinks: LinkMap, hardlinks: LinkMap = new Map()): string | undefined {
  for (const [path, target] of symlinks) {
    if (target === '' || absoluteText(target)) return `the link "${path}" points to "${target}", outside the package`;
    // The link resolves from its own folder, and that folder's path may itself go through links.
    const home = resolveInPackage(path.split('/').slice(0, -1).join('/'), symlinks);
    if (!home.inside) return `the link "${path}" lies behind a link that leaves the package`;
    const r = resolveInPackage(home.path === '' ? target : `${home.path}/${target}`, symlinks);
    if (!r.inside) return `the link "${path}" points to "${target}", outside the package (it ${r.why})`;
  }
  for (const [path, target] of hardlinks) {
    // Hard links name their target from the package root; link() follows symbolic links on the way.
    if (target === '' || absoluteText(target)) return `the hard link "${path}" points to "${target}", outside the package`;
    const r = resolveInPackage(target, symlinks);
    if (!r.inside) return `the hard link "${path}" points to "${target}", outside the package (it ${r.why})`;
  }
  return undefined;
}
