// Global configs give sizes as "1G", "512M", "100" (bytes); the dashboard draws the reserve with it.
export function parseSize(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGTP]?)i?B?\s*$/i.exec(text ?? '');
  if (!m) return 0;
  const exp = ' KMGTP'.indexOf((m[2] || ' ').toUpperCase());
  return Math.round(Number(m[1]) * 1024 ** Math.max(0, exp));
}
