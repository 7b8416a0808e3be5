// `ip -d link` of a bridge and of its ports: every IFLA_BR_* / IFLA_BRPORT_* attribute
// iproute2 6.1 prints (iplink_bridge.c, iplink_bridge_slave.c), in text and JSON, with
// port numbers from 1 (find_portno) and allmulti held by the bridge (br_add_if).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sh, standardKernel } from './harness.ts';

async function lab() {
  const { rtnl } = standardKernel({ inet: true });
  for (const line of [
    'ip link add br0 address 02:00:00:00:0b:00 type bridge',
    'ip link add dum1 type dummy',
    'ip link add dum2 type dummy',
    'ip link set dum1 master br0',
    'ip link set dum2 master br0',
  ])
    assert.deepEqual(await sh(rtnl, line), { output: '', exit: 0 }, line);
  return rtnl;
}

test('bridge_slave: port ids from 1, the bridge as designated root, allmulti 1', async () => {
  const rtnl = await lab();
  const out = (await sh(rtnl, 'ip -d link show dum2')).output;
  assert.match(out, / promiscuity 1 {2}allmulti 1 /);
  assert.match(
    out,
    /\n {4}bridge_slave state disabled priority 32 cost 100 hairpin off guard off root_block off fastleave off learning on flood on port_id 0x8002 port_no 0x2 designated_port 32770 designated_cost 0 designated_bridge 8000\.2:0:0:0:b:0 designated_root 8000\.2:0:0:0:b:0 hold_timer {4}0\.00 message_age_timer {4}0\.00 forward_delay_timer {4}0\.00 topology_change_ack 0 config_pending 0 proxy_arp off proxy_arp_wifi off mcast_router 1 mcast_fast_leave off mcast_flood on bcast_flood on mcast_to_unicast off neigh_suppress off group_fwd_mask 0 group_fwd_mask_str 0x0 vlan_tunnel off isolated off locked off /,
  );
  await sh(rtnl, 'ip link set dum1 nomaster');
  assert.match((await sh(rtnl, 'ip -d link show dum1')).output, / promiscuity 0 {2}allmulti 0 /);
  const json = JSON.parse((await sh(rtnl, 'ip -j -d link show dum2')).output) as {
    linkinfo: { info_slave_data: Record<string, unknown> };
  }[];
  const d = json[0]?.linkinfo.info_slave_data;
  assert.equal(d?.['id'], '0x8002');
  assert.equal(d?.['no'], '0x2');
  assert.equal(d?.['hold_timer'], 0);
  assert.equal(d?.['fastleave'], false);
  assert.equal(d?.['bcast_flood'], true);
  assert.equal(d?.['group_fwd_mask_str'], '0x0');
  assert.equal(d?.['bridge_id'], '8000.2:0:0:0:b:0');
});

test('bridge: ids, timers and the multicast defaults', async () => {
  const rtnl = await lab();
  const out = (await sh(rtnl, 'ip -d link show br0')).output;
  assert.match(
    out,
    / vlan_protocol 802\.1Q bridge_id 8000\.2:0:0:0:b:0 designated_root 8000\.2:0:0:0:b:0 root_port 0 root_path_cost 0 topology_change 0 topology_change_detected 0 hello_timer {4}0\.00 tcn_timer {4}0\.00 topology_change_timer {4}0\.00 gc_timer {4}0\.00 vlan_default_pvid 1 vlan_stats_enabled 0 vlan_stats_per_port 0 group_fwd_mask 0 group_address 01:80:c2:00:00:00 mcast_snooping 1 no_linklocal_learn 0 mcast_vlan_snooping 0 mcast_router 1 /,
  );
  const json = JSON.parse((await sh(rtnl, 'ip -j -d link show br0')).output) as {
    linkinfo: { info_data: Record<string, unknown> };
  }[];
  const d = json[0]?.linkinfo.info_data;
  assert.equal(d?.['root_id'], '8000.2:0:0:0:b:0');
  assert.equal(d?.['group_addr'], '01:80:c2:00:00:00');
  assert.equal(d?.['mcast_startup_query_intvl'], 3124);
  assert.equal(d?.['gc_timer'], 0);
});
