// Input checks for what a person types into the console (no vscode import: unit-tested).

export function validateServerUrl(v: string): string | undefined {
  try {
    const u = new URL(v.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'Use an http:// or https:// address.';
    return undefined;
  } catch {
    return 'Enter the server address, e.g. http://127.0.0.1:8080';
  }
}
