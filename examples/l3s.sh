# ipvlan mode l3s: like l3, but traffic to and from the slaves passes the master
# namespace's netfilter hooks (LOCAL_IN via the l3mdev hook), so the host's nft
# rules and conntrack see slave traffic. The mode is set port-wide, so the script
# runs the same ping in l3 first, then in l3s.
#
# What to look for (host1's initial namespace, where eth0 lives):
#   - The input-chain counter for replies from the router (`ip saddr 192.168.50.1`)
#     stays at 0 packets in l3 and counts 2 packets in l3s.
#   - conntrack -L: in l3 the slave's echo request is tracked on its way out but the
#     reply is never seen ([UNREPLIED]); in l3s the entry is complete (no [UNREPLIED]).
#
# Run: npx ipvlan run examples/l3s.sh

ip netns add ns0
ip link add link eth0 ipvl0 type ipvlan mode l3
ip link set dev ipvl0 netns ns0
ip -n ns0 link set ipvl0 up
ip -n ns0 addr add 10.0.1.10/24 dev ipvl0
ip -n ns0 route add default dev ipvl0
# The router reaches the slaves' subnet through host1 (an `emu` pseudo-command, see vepa.sh).
emu router ip route add 10.0.1.0/24 via 192.168.50.2

# The host's ruleset: count replies from the router on input; `ct state` loads conntrack.
nft add table inet host
nft add chain inet host in '{ type filter hook input priority 0; policy accept; }'
nft add rule inet host in ip saddr 192.168.50.1 counter
nft add rule inet host in ct state established counter

echo "== l3"
ip netns exec ns0 ping -c 2 -i 0.2 -W 1 192.168.50.1
nft list chain inet host in
conntrack -L

echo "== l3s"
conntrack -F
nft reset counters
ip -n ns0 link set ipvl0 type ipvlan mode l3s
ip -n ns0 -d link show ipvl0
ip netns exec ns0 ping -c 2 -i 0.2 -W 1 192.168.50.1
nft list chain inet host in
conntrack -L
