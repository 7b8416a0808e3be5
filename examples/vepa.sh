# The `vepa` flag (Virtual Ethernet Port Aggregator, IEEE 802.1Qbg): every frame a
# slave sends, even to another slave of the same master, leaves through the master;
# only the adjacent switch may send it back ("reflective relay", hairpin mode).
#
# The emulated world starts with host1's eth0 on a plain cable to the router, which
# never returns a frame to its sender. `emu` is a pseudo-command of ipvlan.ts (not a
# Linux tool) that re-cables the lab:
#   emu upstream switch-hairpin   eth0 and the router on a learning switch, hairpin on
#                                 host1's port (`ipvlan run --switch-hairpin` starts so)
#   emu hairpin on|off            toggles reflective relay on host1's switch port
#   emu show                      prints the cabling
#
# What to look for:
#   - On the plain wire, ns0 -> ns1 gets 100% packet loss (the request went to the
#     router, which dropped it), while ns0 -> router works.
#   - Behind a hairpin switch port the same ping succeeds: the switch reflects the
#     frame and the master delivers it to ipvl1.
#   - With hairpin off the switch will not send a frame back out the port it came in
#     on, and the ping fails again.
#
# Run: npx ipvlan run examples/vepa.sh

ip netns add ns0
ip netns add ns1
ip link add link eth0 ipvl0 type ipvlan mode l2 vepa
ip link add link eth0 ipvl1 type ipvlan mode l2 vepa
ip link set dev ipvl0 netns ns0
ip link set dev ipvl1 netns ns1
ip -n ns0 link set ipvl0 up
ip -n ns1 link set ipvl1 up
ip -n ns0 addr add 192.168.50.10/24 dev ipvl0
ip -n ns1 addr add 192.168.50.11/24 dev ipvl1

echo "== plain wire"
emu show
ip netns exec ns0 ping -c 2 -i 0.2 -W 1 192.168.50.11
ip netns exec ns0 ping -c 1 -W 1 192.168.50.1

echo "== switch port in hairpin mode"
emu upstream switch-hairpin
emu show
ip netns exec ns0 ping -c 2 -i 0.2 -W 1 192.168.50.11

echo "== hairpin off"
emu hairpin off
ip netns exec ns0 ping -c 2 -i 0.2 -W 1 192.168.50.11
