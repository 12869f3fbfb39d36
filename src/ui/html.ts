// Text from hosts and journals inside HTML pages (status --html, runs show --html): control
// characters shown as \xNN as on a terminal (printable), then escaped, in text and attributes alike.

import { printable } from './lines.js';

export const escapeHtml = (s: unknown) => printable(String(s)).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
