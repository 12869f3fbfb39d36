// Where an SSH connection goes, decided once before connecting: the inventory's values win,
// ~/.ssh/config fills the gaps (as `ssh -o ...` would), and a jump host (ProxyJump in the
// inventory's ansible_ssh_common_args or in the ssh config, possibly a comma-separated chain) becomes the `via` endpoint the connection is
// tunnelled through.

import { userInfo } from 'node:os';
import { UserError } from '../errors.js';
import type { InventoryHost } from '../model.js';
import type { SshConfig } from './ssh-config.js';

export interface SshEndpoint {
  /** How messages name it: the inventory host or the jump spec as written. */
  label: string;
  address: string;
  port: number;
  user: string;
  /** Key files named by the inventory or IdentityFile; empty means OpenSSH's defaults. */
  identityFiles: string[];
  /** Only when the inventory gives one. */
  password?: string;
  /** The bastion this endpoint is reached through. */
  via?: SshEndpoint;
}

export interface EndpointContext {
  config: SshConfig;
  lookupHost?: (name: string) => InventoryHost | undefined;
}

interface Wanted {
  label: string;
  /** The name ~/.ssh/config is looked up with. */
  alias: string;
  user?: string;
  port?: number;
  key?: string;
  password?: string;
  /** undefined: take ProxyJump from the config; null: no jump. */
  jump?: string | null;
}

const MAX_HOPS = 8;

export function endpointForHost(host: InventoryHost, ctx: EndpointContext): SshEndpoint {
  return resolve(fromInventory(host), ctx, 0);
}

function fromInventory(host: InventoryHost): Wanted {
  return {
    label: host.name,
    alias: host.address,
    user: host.user,
    port: host.port,
    key: host.key,
    password: host.password,
    jump: host.jumpHost,
  };
}

function resolve(wanted: Wanted, ctx: EndpointContext, depth: number): SshEndpoint {
  if (depth > MAX_HOPS) {
    throw new UserError('config', `the jump hosts in front of ${wanted.label} go more than ${MAX_HOPS} hops deep (a ProxyJump loop?)`, {
      host: wanted.label,
      hint: 'check ProxyJump in ansible_ssh_common_args in the inventory and in ~/.ssh/config',
    });
  }
  const found = ctx.config.lookup(wanted.alias);
  const jump = wanted.jump === undefined ? found.proxyJump : (wanted.jump ?? undefined);
  return {
    label: wanted.label,
    address: found.hostName ?? wanted.alias,
    port: wanted.port ?? found.port ?? 22,
    user: wanted.user ?? found.user ?? userInfo().username,
    identityFiles: wanted.key ? [wanted.key] : found.identityFiles,
    ...(wanted.password !== undefined ? { password: wanted.password } : {}),
    ...(jump ? { via: resolveChain(jump, ctx, depth + 1) } : {}),
  };
}

/** `a,b`: connect to a, then to b through a; the last hop is the one returned. */
function resolveChain(spec: string, ctx: EndpointContext, depth: number): SshEndpoint {
  let via: SshEndpoint | undefined;
  for (const hop of spec.split(',').map((h) => h.trim()).filter(Boolean)) {
    const wanted = parseHop(hop, ctx);
    // Only the first hop of a chain follows its own jump settings; later hops go through the previous one.
    const endpoint = resolve(via ? { ...wanted, jump: null } : wanted, ctx, depth);
    via = via ? { ...endpoint, via } : endpoint;
  }
  if (!via) throw new UserError('config', `empty jump host ${JSON.stringify(spec)}`);
  return via;
}

function parseHop(hop: string, ctx: EndpointContext): Wanted {
  const inventoryHost = ctx.lookupHost?.(hop);
  if (inventoryHost) return fromInventory(inventoryHost);
  const m = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop);
  if (!m) throw new UserError('config', `cannot read the jump host ${JSON.stringify(hop)}: expected [user@]host[:port]`);
  return { label: hop, alias: m[2].replace(/^\[|\]$/g, ''), user: m[1], port: m[3] ? Number(m[3]) : undefined };
}
