// Plain aligned columns for listings (`runs`, `history`): a header row, then the rows.

export function formatTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [head, ...rows].map((row) => row.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n';
}
