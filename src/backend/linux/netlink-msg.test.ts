import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  NFULNL_CFG_CMD_BIND,
  nflogConfig,
  parseNetlink,
  parseNflogPacket,
  parseRtnl,
  NFPROTO_NETDEV,
  nftSetElemBatch,
  RTM_GETADDR,
  rtmLocalRoute,
  rtnlDumpRequest,
} from './netlink-msg.ts';
import { hex } from '../../wire/bytes.ts';

// RTM_NEWADDR for 10.0.0.10/24 on ifindex 7 (ifaddrmsg + IFA_ADDRESS + IFA_LOCAL), as the
// kernel sends it (little-endian header).
const NEWADDR = hex(
  '28000000' +
    '1400' +
    '0000' +
    '00000000' +
    '00000000' +
    '02180000' +
    '07000000' +
    '0800' +
    '0100' +
    '0a00000a' +
    '0800' +
    '0200' +
    '0a00000a',
);

test('RTM_NEWADDR parses to an address event', () => {
  const { msgs, bad } = parseNetlink(NEWADDR);
  assert.equal(bad, false);
  assert.equal(msgs.length, 1);
  const ev = parseRtnl(msgs[0]!);
  assert.deepEqual(ev, {
    kind: 'addr',
    add: true,
    family: 4,
    ifindex: 7,
    prefixLen: 24,
    addr: '10.0.0.10',
  });
});

test('a truncated datagram is reported bad, not thrown', () => {
  const { msgs, bad } = parseNetlink(NEWADDR.subarray(0, 30));
  assert.equal(msgs.length, 0);
  assert.equal(bad, true);
});

test('dump and nflog config requests carry the header the kernel checks', () => {
  const d = rtnlDumpRequest(RTM_GETADDR, 9);
  assert.deepEqual([...d.subarray(0, 12)], [24, 0, 0, 0, 22, 0, 1, 3, 9, 0, 0, 0]);
  const c = nflogConfig(0x7002, 1, NFULNL_CFG_CMD_BIND);
  // type (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG, group big-endian in res_id, CMD attr.
  assert.deepEqual([...c.subarray(4, 6)], [0x01, 0x04]);
  assert.deepEqual([...c.subarray(18, 20)], [0x70, 0x02]);
  assert.deepEqual([...c.subarray(20, 25)], [5, 0, 1, 0, NFULNL_CFG_CMD_BIND]);
});

test('arbitrary bytes never throw in any parser', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const { msgs } = parseNetlink(bytes);
      for (const m of msgs) {
        parseRtnl(m);
        parseNflogPacket(m);
      }
    }),
    { numRuns: 2000 },
  );
});

test('nftSetElemBatch: the batch `nft add element netdev t v4 { 10.0.0.1 }` sends', () => {
  const got = nftSetElemBatch(1, NFPROTO_NETDEV, 't', 'v4', [new Uint8Array([10, 0, 0, 1])], true);
  const want = hex(
    // NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq 1; nfgenmsg res_id = NFNL_SUBSYS_NFTABLES (be)
    '14000000' +
      '1000' +
      '0100' +
      '01000000' +
      '00000000' +
      '0000000a' +
      // NFT_MSG_NEWSETELEM (10 << 8 | 12), REQUEST|ACK|CREATE, seq 2; family NFPROTO_NETDEV
      '38000000' +
      '0c0a' +
      '0504' +
      '02000000' +
      '00000000' +
      '05000000' +
      // NFTA_SET_ELEM_LIST_TABLE "t", NFTA_SET_ELEM_LIST_SET "v4" (NUL-terminated, padded)
      '06000100' +
      '74000000' +
      '07000200' +
      '76340000' +
      // NFTA_SET_ELEM_LIST_ELEMENTS > NFTA_LIST_ELEM > NFTA_SET_ELEM_KEY (all NLA_F_NESTED)
      '14000380' +
      '10000180' +
      '0c000180' +
      // > NFTA_DATA_VALUE 10.0.0.1
      '08000100' +
      '0a000001' +
      // NFNL_MSG_BATCH_END, seq 3
      '14000000' +
      '1100' +
      '0100' +
      '03000000' +
      '00000000' +
      '0000000a',
  );
  assert.deepEqual(got, want);
  // Deleting: NFT_MSG_DELSETELEM, no NLM_F_CREATE; several keys in one message.
  const del = nftSetElemBatch(
    9,
    NFPROTO_NETDEV,
    't',
    'v6',
    [new Uint8Array(16), new Uint8Array(16)],
    false,
  );
  const { msgs, bad } = parseNetlink(del);
  assert.equal(bad, false);
  assert.deepEqual(
    msgs.map((m) => [m.type, m.flags, m.seq]),
    [
      [0x10, 0x1, 9],
      [0x0a0e, 0x5, 10],
      [0x11, 0x1, 11],
    ],
  );
});

test('rtmLocalRoute: `ip route replace local 10.0.0.1 dev #3 table local proto static`', () => {
  assert.deepEqual(
    rtmLocalRoute(7, true, new Uint8Array([10, 0, 0, 1]), 3),
    hex(
      // RTM_NEWROUTE, REQUEST|ACK|CREATE|REPLACE, seq 7
      '2c000000' +
        '1800' +
        '0505' +
        '07000000' +
        '00000000' +
        // rtmsg: AF_INET /32, table local, RTPROT_STATIC, RT_SCOPE_HOST, RTN_LOCAL
        '02200000' +
        'ff04fe02' +
        '00000000' +
        // RTA_DST 10.0.0.1, RTA_OIF 3
        '08000100' +
        '0a000001' +
        '08000400' +
        '03000000',
    ),
  );
  const del = rtmLocalRoute(8, false, new Uint8Array(16), 3);
  const { msgs } = parseNetlink(del);
  assert.deepEqual(
    msgs.map((m) => [m.type, m.flags, m.seq]),
    [[25, 0x5, 8]],
  );
  // AF_INET6 /128
  assert.deepEqual([del[16], del[17]], [10, 128]);
});
