// HTTP Range on package downloads, as RFC 9110 §14 has it: one byte range is served as a 206; anything the
// server does not understand or chooses not to serve (another unit, bad syntax, several ranges, an If-Range
// that no longer matches) is ignored and the whole package is sent as a 200. Only a well-formed byte range that
// lies wholly outside the package is a 416.

export type RangeAnswer =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

const BYTE_RANGE = /^(\d*)-(\d*)$/;

export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: 'full' };
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'full' };
  const specs = header.slice(eq + 1).split(',').map((s) => s.trim()).filter((s) => s !== '');
  // Several ranges would be a multipart answer; a full 200 is allowed and simpler for every client.
  if (specs.length !== 1) return { kind: 'full' };
  const m = BYTE_RANGE.exec(specs[0]!);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (last < start) return { kind: 'full' }; // invalid, so ignored
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(last, size - 1) };
}

/** If-Range: serve the range only when the validator still names this representation (strong ETag or the exact date). */
export function ifRangeMatches(ifRange: string | undefined, etag: string, lastModified: string): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return v === etag; // a weak tag never matches
  const when = Date.parse(v);
  return !Number.isNaN(when) && when === Date.parse(lastModified);
}

/**
 * Whether a GET of a package starts a download, for the audit log's "who downloaded it for testing": a full GET, or
 * a range from byte 0. A resumed or chunked download asks for later ranges too; those are the same download, so a
 * download is recorded once however many ranges it takes — with no state kept, across server processes too.
 */
export function startsDownload(method: string, rangeHeader: string | undefined, size: number): boolean {
  if (method !== 'GET') return false;
  const r = parseRange(rangeHeader, size);
  return r.kind === 'full' || (r.kind === 'partial' && r.start === 0);
}
