/**
 * Workstation ids as people read them aloud: hex in groups of four ("ab12 cd34 ef56 7890"),
 * the same grouping `sync.status` gives for full ids, so a short id in a conflict can be
 * matched by eye against the Sync screen's list.
 */
export function groupedId(hex: string): string {
  return (hex.toLowerCase().match(/.{1,4}/g) ?? []).join(' ');
}

/** The member workstation a (possibly shortened) id belongs to, by prefix. */
export function deviceByPrefix<D extends { device: string }>(
  devices: readonly D[],
  prefix: string,
): D | undefined {
  const p = prefix.toLowerCase();
  return p ? devices.find((d) => d.device.toLowerCase().startsWith(p)) : undefined;
}
