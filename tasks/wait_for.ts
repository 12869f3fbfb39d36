// wait_for: Ansible's wait_for: until a TCP port is open or closed, a file present or absent, or a
// file's content matches; it changes nothing on the host, so it has nothing to undo.

import { defineTask, raw, sh, sleep, TaskError, z, regexArg, type ShellText } from 'runbook';

const args = z.strictObject({
  host: z.string().min(1).refine((h) => !h.startsWith('-'), 'a host name or address cannot start with - (nc would read it as an option)').default('127.0.0.1').describe('With port: the address to connect to, from the host itself.'),
  port: z.number().int().min(1).max(65535).optional().describe('Wait for this TCP port on host (give port or path).'),
  path: z.string().min(1).optional().describe('Or wait for this file.'),
  state: z.enum(['started', 'stopped', 'present', 'absent']).default('started').describe('port: started (open) / stopped (closed); path: present / absent. started = present, stopped = absent.'),
  search_regex: regexArg.optional().describe('With path: wait until the file has a line matching this (Perl-compatible, grep -P) regex.'),
  timeout: z.number().positive().default(300).describe('Seconds to wait in all before failing.'),
  delay: z.number().min(0).default(0).describe('Seconds to wait before the first look.'),
  sleep: z.number().positive().default(1).describe('Seconds between looks.'),
})
  .refine((a) => (a.port === undefined) !== (a.path === undefined), { message: 'give port or path' })
  .refine((a) => a.search_regex === undefined || (a.path !== undefined && (a.state === 'started' || a.state === 'present')), {
    message: 'search_regex goes with path and state present',
  });

type Args = z.output<typeof args>;

/**
 * Is the port open, from the host? nc when installed; else bash's /dev/tcp (dash has none); else,
 * for a loopback address, a listening socket in /proc/net/tcp{,6} (state 0A) on that port.
 */
const PORT_FUNCTION = raw(`rb_port_open() {
  if command -v nc >/dev/null 2>&1; then nc -z -w 2 -- "$1" "$2" >/dev/null 2>&1 && return 0; return 1; fi
  if command -v bash >/dev/null 2>&1; then timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' rb "$1" "$2" 2>/dev/null && return 0; return 1; fi
  case $1 in
    127.*|localhost|::1) awk -v p="$(printf '%04X' "$2")" 'FNR > 1 && $4 == "0A" && substr($2, length($2) - 3) == p { found = 1 } END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null && return 0; return 1 ;;
  esac
  echo "cannot test a TCP port on this host: neither nc nor bash is installed" >&2; return 3
}`);

function condition(a: Args): ReturnType<typeof sh> {
  const want = a.state === 'started' || a.state === 'present';
  if (a.port !== undefined) return want ? sh`rb_port_open ${a.host} ${a.port}` : sh`rb_port_open ${a.host} ${a.port}; case $? in 0) false ;; 1) true ;; *) exit 3 ;; esac`;
  const path = a.path!;
  if (a.search_regex !== undefined) return sh`[ -f ${path} ] && grep -q -P -- ${a.search_regex} ${path}`;
  return want ? sh`[ -e ${path} ]` : sh`[ ! -e ${path} ] && [ ! -L ${path} ]`;
}

function describe(a: Args): string {
  if (a.port !== undefined) return `${a.host}:${a.port} to be ${a.state === 'started' || a.state === 'present' ? 'open' : 'closed'}`;
  if (a.search_regex !== undefined) return `${a.path} to match /${a.search_regex}/`;
  return `${a.path} to be ${a.state === 'started' || a.state === 'present' ? 'present' : 'absent'}`;
}

/** One look: prints `holds` when the condition holds now; exits 3 when it cannot be tested (why on stderr). */
function lookScript(a: Args): ShellText {
  return sh`${PORT_FUNCTION}
if ${condition(a)}; then echo holds; else rb_s=$?; if [ "$rb_s" -eq 3 ]; then exit 3; fi; fi`;
}

const held = (out: string) => out.trim() === 'holds';

export default defineTask<typeof args, undefined, undefined>({
  name: 'wait_for',
  description: 'Wait until a TCP port is open or closed, a file is present or absent, or a file matches a regex',
  doc: `Polls from the host until the condition holds, failing after \`timeout\` seconds (default 300).
\`port\` (+ \`host\`, default 127.0.0.1) with \`state: started\` (open) or \`stopped\` (closed); or \`path\`
with \`state: present\` / \`absent\`, and \`search_regex\` (grep -P) to wait for a line in the file.
\`delay\` before the first look, \`sleep\` between looks. Ports are tested with nc, else bash's
/dev/tcp, else (loopback only) /proc/net/tcp. In --check the condition is looked at once: already
true is ok, otherwise it reports that it would wait. It never changes the host.

\`\`\`yaml
- name: ZooKeeper is listening
  wait_for:
    port: 2181
    timeout: 60
\`\`\``,
  args,
  probe: ({ args }) => lookScript(args),
  async check(ctx, probed) {
    const a = ctx.args;
    if (held(probed)) return { inSync: true, summary: `${describe(a).replace(' to be ', ' is ').replace(' to match ', ' matches ')}` };
    return { inSync: false, summary: `wait for ${describe(a)}` };
  },
  async apply(ctx) {
    const a = ctx.args;
    const deadline = Date.now() + a.timeout * 1000;
    await sleep(a.delay * 1000, ctx.signal);
    for (;;) {
      if (held((await ctx.shell.run(lookScript(a))).stdout)) return { changed: false };
      if (ctx.signal.aborted) throw new TaskError(`interrupted while waiting for ${describe(a)}`);
      if (Date.now() + a.sleep * 1000 > deadline) {
        throw new TaskError(`timed out after ${a.timeout}s waiting for ${describe(a)}`, { hint: 'is the service running? look at its logs' });
      }
      await sleep(a.sleep * 1000, ctx.signal);
    }
  },
});
