# ipvlan mode l2 (flag bridge, the default flag): the slaves behave like ports of one
# Ethernet segment behind the master's MAC.
#
# What to look for:
#   - ns0 reaches ns1 (slave <-> slave) and the router (slave -> outside).
#   - tcpdump on the *other* slave (ipvl1 in ns1) sees ns0's broadcast ARP request, its
#     broadcast ping to 192.168.50.255 and its multicast ping to 224.0.0.1: in l2 mode
#     the master's multicast worker copies every broadcast/multicast frame a slave sends
#     to the other slaves (compare examples/l3.sh, where the same capture stays silent).
#   - Both slaves show the master's MAC (52:54:00:12:34:56).
#
# Run: npx ipvlan run examples/l2-bridge.sh

ip netns add ns0
ip netns add ns1
ip link add link eth0 ipvl0 type ipvlan mode l2 bridge
ip link add link eth0 ipvl1 type ipvlan mode l2 bridge
ip link set dev ipvl0 netns ns0
ip link set dev ipvl1 netns ns1
ip -n ns0 link set ipvl0 up
ip -n ns1 link set ipvl1 up
ip -n ns0 addr add 192.168.50.10/24 dev ipvl0
ip -n ns1 addr add 192.168.50.11/24 dev ipvl1
ip -n ns1 -br link show ipvl1

echo "== tcpdump on the other slave (ns1/ipvl1) while ns0 sends"
ip netns exec ns1 bash
tcpdump -n -t -e -i ipvl1 arp or icmp &
exit
ip netns exec ns0 ping -c 1 -W 1 192.168.50.11
ip netns exec ns0 ping -b -c 1 -W 1 192.168.50.255
ip netns exec ns0 ping -c 1 -W 1 -I ipvl0 224.0.0.1
wait

echo "== slave -> router"
ip netns exec ns0 ping -c 1 -W 1 192.168.50.1
