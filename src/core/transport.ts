// Which server addresses the agent may use without TLS: the enrollment token and every decision travel in clear
// over http://, so plain http is for this machine only (loopback) unless the operator says otherwise.

/** 127.0.0.0/8, ::1 and localhost: the traffic never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h) ?? /^::ffff:(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return !!v4 && Number(v4[1]) === 127 && v4.slice(2).every((n) => Number(n) <= 255);
}

export type TransportVerdict =
  | { use: 'https' | 'loopback-http' }
  | { use: 'insecure-http'; warning: string }
  | { use: 'refused'; reason: string };

/** The server URL the agent was given, and whether --insecure-http was. */
export function transportFor(serverUrl: string, insecureHttpAllowed: boolean): TransportVerdict {
  const u = new URL(serverUrl);
  if (u.protocol === 'https:') return { use: 'https' };
  if (isLoopbackHost(u.hostname)) return { use: 'loopback-http' };
  if (insecureHttpAllowed) {
    return { use: 'insecure-http', warning: `Talking to ${u.origin} over plain http (--insecure-http): the enrollment token and the server's answers can be read and changed on the way. Use https.` };
  }
  return {
    use: 'refused',
    reason: `Refusing plain http to ${u.origin}: the enrollment token and the server's answers would cross the network unencrypted. Use an https:// address (--ca FILE for a private CA), or --insecure-http to accept the risk.`,
  };
}

/** Node's codes for a certificate chain that does not end at a trusted root. */
const UNTRUSTED_CERT = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
]);

/**
 * A TLS refusal in words an administrator can act on, or undefined for any other error. `trustAdvice` says how this
 * program is given a private CA (the agent: --ca FILE; the console: VS Code's environment or the system's store).
 */
export function tlsRefusal(code: string | undefined, message: string, trustAdvice: string): string | undefined {
  if (!code) return undefined;
  if (UNTRUSTED_CERT.has(code)) return `the server's TLS certificate is not trusted (${code}); if a private CA issued it, ${trustAdvice}`;
  if (code === 'CERT_HAS_EXPIRED') return `the server's TLS certificate has expired (${code})`;
  if (code === 'CERT_NOT_YET_VALID') return `the server's TLS certificate is not valid yet (${code}); check this machine's clock`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the server's TLS certificate is not for this address (${message})`;
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) return `the TLS handshake failed (${code}); does the server speak https on this port?`;
  return undefined;
}
