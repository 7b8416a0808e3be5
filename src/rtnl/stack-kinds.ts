// The link kinds the stack itself provides (Linux: drivers/net/dummy.c, veth.c,
// net/bridge/br_netlink.c, net/8021q/vlan_netlink.c), as registry entries over the
// stack's constructors. ipvlan registers itself from src/ipvlan.

import { ErrnoError } from '../base/errno.ts';
import { ETH_P_8021Q, IFF_UP } from '../uapi/if.ts';
import { bridgeAddPort, bridgeDelPort, bridgeOf, bridgePortOf } from '../stack/bridge.ts';
import { createBridge } from '../stack/bridge.ts';
import { createDummy } from '../stack/dummy.ts';
import type { NetDevice } from '../stack/netdev.ts';
import { createVethPair, vethPeer } from '../stack/veth.ts';
import { createVlan, vlanInfo } from '../stack/vlan.ts';
import { NS_PER_SEC } from '../stack/scheduler.ts';
import { MacAddr } from '../wire/address.ts';
import { TSO_MAX_SIZE, type LinkKindOps, type LinkKindRegistry } from './kinds.ts';
import { checkCreateMtu } from './link.ts';
import { VLAN_FLAG_REORDER_HDR, type BridgeInfoData, type SlaveInfo } from './messages.ts';

/** Linux: dummy_setup leaves min_mtu = max_mtu = 0 (no range). */
const dummyOps: LinkKindOps = {
  kind: 'dummy',
  minMtu: 0,
  maxMtu: 0,
  newLink({ kernel, net, ifname, req }) {
    const options = {
      ...(req.address === undefined ? {} : { address: req.address }),
      ...(req.mtu === undefined ? {} : { mtu: req.mtu }),
    };
    const dev = createDummy(kernel, net, ifname, options);
    if (req.txqlen !== undefined) dev.txqlen = req.txqlen;
    return dev;
  },
  fillInfo: () => ({ kind: 'dummy' }),
};

/** Linux: veth_newlink — the peer is created first, in the link namespace unless told otherwise. */
const vethOps: LinkKindOps = {
  kind: 'veth',
  minMtu: 68,
  maxMtu: 65535,
  tsoMaxSize: () => TSO_MAX_SIZE,
  newLink({ kernel, srcNet, net, ifname, req, resolveNetns }) {
    const info = req.linkinfo;
    const peerReq = info?.kind === 'veth' ? info.data?.peer : undefined;
    if (peerReq?.mtu !== undefined) checkCreateMtu(vethOps, peerReq.mtu);
    const peerNet = peerReq?.netns === undefined ? srcNet : resolveNetns(peerReq.netns);
    const [dev, peer] = createVethPair(
      kernel,
      {
        ns: net,
        name: ifname,
        ...(req.address === undefined ? {} : { address: req.address }),
        ...(req.mtu === undefined ? {} : { mtu: req.mtu }),
      },
      {
        ns: peerNet,
        ...(peerReq?.ifname === undefined ? {} : { name: peerReq.ifname }),
        ...(peerReq?.address === undefined ? {} : { address: peerReq.address }),
        ...(peerReq?.mtu === undefined ? {} : { mtu: peerReq.mtu }),
      },
    );
    if (req.txqlen !== undefined) dev.txqlen = req.txqlen;
    if (peerReq?.txqlen !== undefined) peer.txqlen = peerReq.txqlen;
    const flags = peerReq?.flags;
    if (flags !== undefined && (flags.change & IFF_UP) !== 0) {
      try {
        kernel.devChangeFlags(peer, flags.flags, IFF_UP);
      } catch (err) {
        dev.linkKind?.dellink(dev);
        throw err;
      }
    }
    return dev;
  },
  fillInfo: () => ({ kind: 'veth' }),
  getLinkNet: (dev) => vethPeer(dev)?.netns ?? dev.netns,
};

/** IFLA_BR_* the bridge keeps but does not act on (no STP here), per bridge device. */
interface BridgeParams {
  forwardDelay: number;
  helloTime: number;
  maxAge: number;
  stpState: number;
  priority: number;
  vlanFiltering: number;
}
const bridgeParams = new WeakMap<NetDevice, BridgeParams>();

function paramsOf(dev: NetDevice): BridgeParams {
  let p = bridgeParams.get(dev);
  if (p === undefined) {
    // Linux: br_dev_setup defaults (15 s, 2 s, 20 s in centiseconds; priority 0x8000).
    p = {
      forwardDelay: 1500,
      helloTime: 200,
      maxAge: 2000,
      stpState: 0,
      priority: 32768,
      vlanFiltering: 0,
    };
    bridgeParams.set(dev, p);
  }
  return p;
}

function bridgeChange(
  dev: NetDevice,
  info: Parameters<NonNullable<LinkKindOps['changeLink']>>[1],
): void {
  if (info.kind !== 'bridge' || info.data === undefined) return;
  const d = info.data;
  const br = bridgeOf(dev);
  if (br === null) throw new ErrnoError('EOPNOTSUPP');
  const p = paramsOf(dev);
  if (d.forwardDelay !== undefined) p.forwardDelay = d.forwardDelay;
  if (d.helloTime !== undefined) p.helloTime = d.helloTime;
  if (d.maxAge !== undefined) p.maxAge = d.maxAge;
  if (d.stpState !== undefined) p.stpState = d.stpState;
  if (d.priority !== undefined) p.priority = d.priority;
  if (d.vlanFiltering !== undefined) p.vlanFiltering = d.vlanFiltering;
  // clock_t centiseconds → virtual nanoseconds.
  if (d.ageingTime !== undefined) br.ageingTime = d.ageingTime * (NS_PER_SEC / 100);
}

/** The 802.1D bridge group address the bridge keeps (IFLA_BR_GROUP_ADDR). */
const BR_GROUP_ADDRESS = MacAddr.parse('01:80:c2:00:00:00') ?? MacAddr.ZERO;

function bridgePriority(dev: NetDevice): number {
  return paramsOf(dev).priority;
}

/** Linux: br_dev_newlink + br_changelink; ports through ndo_add_slave/ndo_del_slave. */
const bridgeOps: LinkKindOps = {
  kind: 'bridge',
  minMtu: 68,
  maxMtu: 65535,
  newLink({ kernel, net, ifname, req }) {
    const dev = createBridge(
      kernel,
      net,
      ifname,
      req.address === undefined ? {} : { address: req.address },
    );
    // rtnl_create_link writes dev->mtu directly: not "set by user" for auto-adjust.
    if (req.mtu !== undefined) dev.mtu = req.mtu;
    if (req.txqlen !== undefined) dev.txqlen = req.txqlen;
    if (req.linkinfo !== undefined) {
      try {
        bridgeChange(dev, req.linkinfo);
      } catch (err) {
        kernel.unregisterNetdevice(dev);
        throw err;
      }
    }
    return dev;
  },
  changeLink: bridgeChange,
  fillInfo(dev): { kind: 'bridge'; data: BridgeInfoData } {
    const br = bridgeOf(dev);
    const p = paramsOf(dev);
    const id = { priority: p.priority, addr: dev.address };
    return {
      kind: 'bridge',
      data: {
        forwardDelay: p.forwardDelay,
        helloTime: p.helloTime,
        maxAge: p.maxAge,
        ageingTime: br === null ? 30000 : Math.round(br.ageingTime / (NS_PER_SEC / 100)),
        stpState: p.stpState,
        priority: p.priority,
        vlanFiltering: p.vlanFiltering,
        vlanProtocol: ETH_P_8021Q,
        bridgeId: id,
        rootId: id,
        rootPort: 0,
        rootPathCost: 0,
        topologyChange: 0,
        topologyChangeDetected: 0,
        // No STP and no fdb garbage-collection timer are modelled: nothing is pending.
        helloTimer: 0,
        tcnTimer: 0,
        topologyChangeTimer: 0,
        gcTimer: 0,
        // br_dev_setup, br_multicast_init and br_netfilter defaults (RFC 4541 snooping on,
        // IGMPv2/MLDv1, intervals in centiseconds); none of them is settable here.
        vlanDefaultPvid: 1,
        vlanStatsEnabled: 0,
        vlanStatsPerPort: 0,
        groupFwdMask: 0,
        groupAddr: BR_GROUP_ADDRESS,
        mcastSnooping: 1,
        noLinklocalLearn: 0,
        mcastVlanSnooping: 0,
        mcastRouter: 1,
        mcastQueryUseIfaddr: 0,
        mcastQuerier: 0,
        mcastHashElasticity: 16,
        mcastHashMax: 4096,
        mcastLastMemberCnt: 2,
        mcastStartupQueryCnt: 2,
        mcastLastMemberIntvl: 100,
        mcastMembershipIntvl: 26000,
        mcastQuerierIntvl: 25500,
        mcastQueryIntvl: 12500,
        mcastQueryResponseIntvl: 1000,
        mcastStartupQueryIntvl: 3124,
        mcastStatsEnabled: 0,
        mcastIgmpVersion: 2,
        mcastMldVersion: 1,
        nfCallIptables: 0,
        nfCallIp6tables: 0,
        nfCallArptables: 0,
      },
    };
  },
  addSlave: (master, dev) => {
    bridgeAddPort(master, dev);
  },
  delSlave: (master, dev) => bridgeDelPort(master, dev),
  fillSlaveInfo(master, dev): SlaveInfo | undefined {
    const port = bridgePortOf(dev);
    if (port === null) return undefined;
    return {
      kind: 'bridge',
      data: {
        // BR_STATE_FORWARDING / BR_STATE_DISABLED: without STP nothing in between.
        state: port.state === 'forwarding' ? 3 : 0,
        priority: 32,
        // Linux: br_port_cost from the ethtool speed — veth reports 10 Gb/s, dummy none.
        cost: dev.linkKind?.kind === 'veth' ? 2 : 100,
        hairpin: port.flags.hairpin,
        guard: false,
        rootBlock: false,
        fastLeave: false,
        learning: port.flags.learning,
        flood: port.flags.flood,
        // br_make_port_id: priority 32 (BR_PORT_DEF_PRIORITY) in the top bits.
        portId: (32 << 10) | port.portNo,
        portNo: port.portNo,
        designatedPort: (32 << 10) | port.portNo,
        designatedCost: 0,
        // Without STP every bridge is its own root and designated bridge.
        designatedBridge: { priority: bridgePriority(master), addr: master.address },
        designatedRoot: { priority: bridgePriority(master), addr: master.address },
        holdTimer: 0,
        messageAgeTimer: 0,
        forwardDelayTimer: 0,
        topologyChangeAck: 0,
        configPending: 0,
        proxyArp: false,
        proxyArpWifi: false,
        multicastRouter: 1,
        mcastFlood: true,
        bcastFlood: true,
        mcastToUnicast: false,
        neighSuppress: false,
        groupFwdMask: 0,
        vlanTunnel: false,
        isolated: false,
        locked: false,
      },
    };
  },
};

/** VLAN_FLAG_* per vlan device (only REORDER_HDR is modelled; the rest are kept for the dump). */
const vlanFlags = new WeakMap<NetDevice, number>();

/** Linux: vlan_validate + vlan_newlink, with their extack texts. */
const vlanOps: LinkKindOps = {
  kind: 'vlan',
  minMtu: 0,
  maxMtu: 65535,
  validate(info) {
    if (info.kind !== 'vlan') return;
    const d = info.data;
    if (d === undefined) throw new ErrnoError('EINVAL', '8021q: VLAN properties not specified');
    if (d.protocol !== undefined && d.protocol !== ETH_P_8021Q && d.protocol !== 0x88a8)
      throw new ErrnoError('EPROTONOSUPPORT', '8021q: Invalid VLAN protocol');
    if (d.id !== undefined && d.id >= 4095)
      throw new ErrnoError('ERANGE', '8021q: Invalid VLAN id');
  },
  newLink({ kernel, net, ifname, req, lower }) {
    const info = req.linkinfo;
    const data = info?.kind === 'vlan' ? info.data : undefined;
    if (data === undefined) throw new ErrnoError('EINVAL', '8021q: VLAN properties not specified');
    if (data.id === undefined) throw new ErrnoError('EINVAL', '8021q: VLAN id not specified');
    if (req.link === undefined) throw new ErrnoError('EINVAL', '8021q: link not specified');
    let real: NetDevice | null;
    try {
      real = lower();
    } catch {
      throw new ErrnoError('ENODEV', '8021q: link does not exist');
    }
    if (real === null) throw new ErrnoError('ENODEV', '8021q: link does not exist');
    const dev = createVlan(kernel, net, ifname, {
      lower: real,
      id: data.id,
      protocol: data.protocol ?? ETH_P_8021Q,
      ...(req.address === undefined ? {} : { address: req.address }),
      ...(req.mtu === undefined ? {} : { mtu: req.mtu }),
    });
    if (req.txqlen !== undefined) dev.txqlen = req.txqlen;
    const f = data.flags;
    vlanFlags.set(
      dev,
      f === undefined
        ? VLAN_FLAG_REORDER_HDR
        : (VLAN_FLAG_REORDER_HDR & ~f.mask) | (f.flags & f.mask),
    );
    return dev;
  },
  changeLink(dev, info) {
    if (info.kind !== 'vlan' || info.data === undefined) return;
    const f = info.data.flags;
    if (f === undefined) return;
    const old = vlanFlags.get(dev) ?? VLAN_FLAG_REORDER_HDR;
    vlanFlags.set(dev, (old & ~f.mask) | (f.flags & f.mask));
  },
  fillInfo(dev) {
    const v = vlanInfo(dev);
    if (v === null) throw new ErrnoError('EOPNOTSUPP');
    return {
      kind: 'vlan',
      data: {
        id: v.id,
        protocol: v.protocol === '802.1ad' ? 0x88a8 : ETH_P_8021Q,
        flags: vlanFlags.get(dev) ?? VLAN_FLAG_REORDER_HDR,
      },
    };
  },
  getLinkNet: (dev) => vlanInfo(dev)?.lower.netns ?? dev.netns,
};

/** Registers dummy, veth, bridge and vlan. */
export function registerStackKinds(registry: LinkKindRegistry): void {
  registry.register(dummyOps);
  registry.register(vethOps);
  registry.register(bridgeOps);
  registry.register(vlanOps);
}
