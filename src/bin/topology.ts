// A text picture of an emulated host and its upstream, drawn from what rtnetlink reports
// (links, addresses, namespaces), so it shows the world as it is, not as a script meant
// it to be:
//
//   host1
//   ├─ lo          127.0.0.1/8
//   └─ eth0        52:54:00:12:34:56  192.168.50.2/24
//      ├─ ns0/ipvl0   ipvlan l2 bridge  UP  192.168.50.10/24
//      └─ ns1/ipvl1   ipvlan l2 bridge  UP  192.168.50.11/24
//      ║  wire lan (a plain cable)
//   router
//   ├─ lo          127.0.0.1/8
//   └─ eth0        52:54:00:ab:cd:ef  192.168.50.1/24
//
// An ipvlan slave in another namespace is drawn under the master of the same ifindex in
// the initial namespace (where the seed's masters live).

import type { RtnlApi } from '../rtnl/api.ts';
import type { LinkMsg, RtnlContext } from '../rtnl/messages.ts';
import { AF_INET } from '../uapi/rtnetlink.ts';
import { IFF_UP } from '../uapi/if.ts';
import { formatIp } from '../wire/address.ts';

const IPVLAN_MODES = ['l2', 'l3', 'l3s'];

interface Dev {
  readonly ns: string | undefined;
  readonly link: LinkMsg;
  readonly addrs: readonly string[];
}

async function devices(api: RtnlApi, ns: string | undefined): Promise<Dev[]> {
  const ctx: RtnlContext = ns === undefined ? {} : { netns: ns };
  const links = await api.dumpLinks(ctx);
  const addrs = await api.dumpAddrs(ctx, { family: AF_INET });
  return links.map((link) => ({
    ns,
    link,
    addrs: addrs
      .filter((a) => a.ifindex === link.ifindex && a.local !== undefined)
      .map((a) => `${formatIp(a.local!)}/${a.prefixlen}`),
  }));
}

function ipvlanLabel(link: LinkMsg): string {
  const info = link.linkinfo;
  if (info?.kind !== 'ipvlan') return '';
  const flags = info.data.flags;
  const flag = (flags & 1) !== 0 ? 'private' : (flags & 2) !== 0 ? 'vepa' : 'bridge';
  return `ipvlan ${IPVLAN_MODES[info.data.mode] ?? '?'} ${flag}`;
}

function row(name: string, ...cols: string[]): string {
  return [name.padEnd(10), ...cols.filter((c) => c !== '')].join('  ');
}

/** The tree of one host: its initial-namespace devices, each ipvlan slave under its master. */
export async function hostPicture(name: string, api: RtnlApi): Promise<string[]> {
  const all = await devices(api, undefined);
  for (const ns of await api.netnsList({})) all.push(...(await devices(api, ns.name)));
  const top = all.filter((d) => d.ns === undefined && d.link.linkinfo?.kind !== 'ipvlan');
  const slaves = all
    .filter((d) => d.link.linkinfo?.kind === 'ipvlan')
    .sort(
      (a, b) =>
        (a.ns ?? '').localeCompare(b.ns ?? '') || a.link.ifname.localeCompare(b.link.ifname),
    );
  const lines = [name];
  top.forEach((d, i) => {
    const last = i === top.length - 1;
    const mac = d.link.address?.toString() ?? '';
    const shownMac = d.link.ifname === 'lo' ? '' : mac;
    lines.push(`${last ? '└─' : '├─'} ${row(d.link.ifname, shownMac, ...d.addrs)}`);
    const mine = slaves.filter((s) => s.link.link === d.link.ifindex);
    mine.forEach((s, j) => {
      const where = s.ns === undefined ? s.link.ifname : `${s.ns}/${s.link.ifname}`;
      const state = (s.link.flags & IFF_UP) !== 0 ? 'UP' : 'DOWN';
      const branch = j === mine.length - 1 ? '└─' : '├─';
      lines.push(
        `${last ? '   ' : '│  '}${branch} ${row(where, ipvlanLabel(s.link), state, ...s.addrs)}`,
      );
    });
  });
  return lines;
}

/** host1, the cable, and the router (when there is one). */
export async function worldPicture(
  host: { readonly name: string; readonly api: RtnlApi },
  upstream: { readonly name: string; readonly api: RtnlApi; readonly via: string } | undefined,
): Promise<string> {
  const lines = await hostPicture(host.name, host.api);
  if (upstream !== undefined) {
    lines.push(`   ║  ${upstream.via}`);
    lines.push(...(await hostPicture(upstream.name, upstream.api)));
  }
  return lines.map((l) => `  ${l}\n`).join('');
}
