# ipvlan mode l3: the master routes for its slaves; slaves are NOARP and never see
# broadcast or multicast from each other.
#
# What to look for:
#   - `ip -br link` shows NOARP on the l3 slave once it is up.
#   - Unicast works: ns0 reaches ns1 and the router.
#   - The same tcpdump as in examples/l2-bridge.sh, on ns1/ipvl1, captures only the
#     unicast echo request and reply: ns0's broadcast ping to 10.0.1.255 and its
#     multicast ping to 224.0.0.1 never reach the other slave, and there is no ARP.
#
# Run: npx ipvlan run examples/l3.sh

ip netns add ns0
ip netns add ns1
ip link add link eth0 ipvl0 type ipvlan mode l3
ip link add link eth0 ipvl1 type ipvlan mode l3
ip link set dev ipvl0 netns ns0
ip link set dev ipvl1 netns ns1
ip -n ns0 link set ipvl0 up
ip -n ns1 link set ipvl1 up
ip -n ns0 addr add 10.0.1.10/24 dev ipvl0
ip -n ns1 addr add 10.0.1.11/24 dev ipvl1
ip -n ns0 route add default dev ipvl0
# The router reaches the slaves' subnet through host1 (an `emu` pseudo-command, see vepa.sh).
emu router ip route add 10.0.1.0/24 via 192.168.50.2
ip -n ns1 -br link show ipvl1

echo "== tcpdump on the other slave (ns1/ipvl1) while ns0 sends"
ip netns exec ns1 bash
tcpdump -n -t -e -i ipvl1 arp or icmp &
exit
ip netns exec ns0 ping -c 1 -W 1 10.0.1.11
ip netns exec ns0 ping -b -c 1 -W 1 10.0.1.255
ip netns exec ns0 ping -c 1 -W 1 -I ipvl0 224.0.0.1
wait

echo "== slave -> router"
ip netns exec ns0 ping -c 1 -W 1 192.168.50.1
