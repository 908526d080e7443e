// Seed 003 (Bria): the legacy check response.
//   [DATA]\r\nSuccess=1\r\nMandatory=1\r\nversion=60000\r\nurl=https://…\r\n
// CRLF line ends, ends with CRLF, and never a [SETTINGS] section: a check must not change a user's settings.

export interface LegacyCheck {
  success: boolean;
  mandatory: boolean;
  version?: string;
  url?: string;
}

export class LegacyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LegacyFormatError';
  }
}

const CRLF = '\r\n';

function safeValue(name: string, v: string): string {
  if (/[\r\n]/.test(v)) throw new LegacyFormatError(`${name} must be one line.`);
  return v;
}

export function encodeLegacyCheck(c: LegacyCheck): string {
  const lines = ['[DATA]', `Success=${c.success ? 1 : 0}`];
  if (c.success) {
    if (!c.version || !c.url) throw new LegacyFormatError('An upgrade response needs a version and a url.');
    lines.push(`Mandatory=${c.mandatory ? 1 : 0}`, `version=${safeValue('version', c.version)}`, `url=${safeValue('url', c.url)}`);
  }
  return lines.join(CRLF) + CRLF;
}

export function parseLegacyCheck(text: string): LegacyCheck {
  if (typeof text !== 'string' || text.trim() === '') throw new LegacyFormatError('The check response is empty.');
  const lines = text.split(/\r?\n/);
  let section: string | null = null;
  const data = new Map<string, string>();
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1].trim().toUpperCase();
      if (section === 'SETTINGS') throw new LegacyFormatError('The check response contains a [SETTINGS] section, which is not allowed: a check must not change user settings.');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new LegacyFormatError(`Cannot read the line "${line}": expected name=value.`);
    if (section !== 'DATA') continue;
    data.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  if (!data.has('success')) throw new LegacyFormatError('The check response has no [DATA] section with Success=0 or 1.');
  const flag = (k: string, dflt: boolean): boolean => {
    const v = data.get(k);
    if (v === undefined) return dflt;
    if (v === '1') return true;
    if (v === '0') return false;
    throw new LegacyFormatError(`${k} must be 0 or 1, not "${v}".`);
  };
  const success = flag('success', false);
  const res: LegacyCheck = { success, mandatory: flag('mandatory', false) };
  if (success) {
    const version = data.get('version');
    const url = data.get('url');
    if (!version) throw new LegacyFormatError('Success=1 but the response has no version.');
    if (!url) throw new LegacyFormatError('Success=1 but the response has no url.');
    res.version = version;
    res.url = url;
  }
  return res;
}
