# The `private` flag: slaves of one master may not talk to each other (each still
# reaches the outside through the master).
#
# What to look for:
#   - l2 private: ns0's ARP request for 192.168.50.11 is not delivered to the other
#     slave, so the ping gets no reply (100% packet loss) and ns0's neighbour entry
#     for 192.168.50.11 stays unresolved.
#   - l3 private (set port-wide from ns0 with `ip link set ... type ipvlan`): no ARP is
#     needed, the driver refuses the frame itself: ipvl0's TX dropped counter rises with
#     every request. Linux also reports the refusal to the sender (`ping: sendmsg: No
#     buffer space available`, ENOBUFS, once per packet); the emulated socket layer does
#     not return the driver's verdict to sendmsg yet, so here the ping only loses them.
#   - In both, ns0 still reaches the router.
#
# Run: npx ipvlan run examples/private.sh

ip netns add ns0
ip netns add ns1
ip link add link eth0 ipvl0 type ipvlan mode l2 private
ip link add link eth0 ipvl1 type ipvlan mode l2 private
ip link set dev ipvl0 netns ns0
ip link set dev ipvl1 netns ns1
ip -n ns0 link set ipvl0 up
ip -n ns1 link set ipvl1 up
ip -n ns0 addr add 192.168.50.10/24 dev ipvl0
ip -n ns1 addr add 192.168.50.11/24 dev ipvl1
ip -n ns0 -d link show ipvl0

echo "== l2 private: slave <-> slave"
ip netns exec ns0 ping -c 2 -i 0.2 -W 1 192.168.50.11
ip -n ns0 neigh show 192.168.50.11
echo "== l2 private: slave -> router"
ip netns exec ns0 ping -c 1 -W 1 192.168.50.1

echo "== l3 private (the mode is the port's: set from either slave)"
ip -n ns0 link set ipvl0 type ipvlan mode l3 private
ip -n ns1 -d link show ipvl1
ip netns exec ns0 ping -c 2 -i 0.2 -W 1 192.168.50.11
ip -n ns0 -s link show ipvl0
ip netns exec ns0 ping -c 1 -W 1 192.168.50.1
