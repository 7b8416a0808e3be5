# The ipvlan HOWTO's example configuration (Documentation/networking/ipvlan.rst,
# section 6), as written. host1's eth0 is on a wire with a router at 192.168.50.1.
# Each slave's address and router are what the HOWTO leaves to the reader.

# (a) Create two network namespaces - ns0, ns1
ip netns add ns0
ip netns add ns1

# (b) Create two ipvlan slaves on eth0 (master device)
ip link add link eth0 ipvl0 type ipvlan mode l2
ip link add link eth0 ipvl1 type ipvlan mode l2

# (c) Assign slaves to the respective network namespaces
ip link set dev ipvl0 netns ns0
ip link set dev ipvl1 netns ns1

# (d) Now switch to the namespace (ns0 or ns1) to configure the slave devices
# - For ns0
IPADDR=192.168.50.10/24
ROUTER=192.168.50.1
ip netns exec ns0 bash
ip link set dev ipvl0 up
ip link set dev lo up
ip -4 addr add 127.0.0.1 dev lo
ip -4 addr add $IPADDR dev ipvl0
ip -4 route add default via $ROUTER dev ipvl0
exit

# - For ns1
IPADDR=192.168.50.11/24
ROUTER=192.168.50.1
ip netns exec ns1 bash
ip link set dev ipvl1 up
ip link set dev lo up
ip -4 addr add 127.0.0.1 dev lo
ip -4 addr add $IPADDR dev ipvl1
ip -4 route add default via $ROUTER dev ipvl1
exit

# slave <-> slave, and slave -> router
ip netns exec ns0 ping -c 3 -i 0.2 -W 2 192.168.50.11
ip netns exec ns1 ping -c 3 -i 0.2 -W 2 192.168.50.10
ip netns exec ns0 ping -c 2 -i 0.2 -W 2 $ROUTER
ip netns exec ns1 ping -c 2 -i 0.2 -W 2 $ROUTER
