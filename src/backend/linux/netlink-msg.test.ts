import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  NFULNL_CFG_CMD_BIND,
  nflogConfig,
  parseNetlink,
  parseNflogPacket,
  parseRtnl,
  RTM_GETADDR,
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
