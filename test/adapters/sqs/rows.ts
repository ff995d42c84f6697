// Snapshot rows covering the SQS families, built by hand from the layouts in adapter/sqs_keys.go (not with
// the adapter's own key builders): a standard queue, a FIFO queue with content-based dedup, a partitioned
// FIFO queue, stale-generation messages, an orphan queue, binary and HTML-significant bodies, attributes.
import type { FsmRow } from '../../helpers/fsm.ts';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');
export const be64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};
export const be32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const cat = (...p: Array<string | Buffer>): Buffer => Buffer.concat(p.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x)));

export const metaValue = (json: string): Buffer => cat(Buffer.from([0x00, 0x53, 0x51, 0x01]), Buffer.from(json, 'utf8'));
export const msgValue = (json: string): Buffer => cat(Buffer.from([0x00, 0x53, 0x4d, 0x01]), Buffer.from(json, 'utf8'));

export const dataKey = (queue: string, gen: bigint, id: string): Buffer => cat(`!sqs|msg|data|${b64(queue)}`, be64(gen), b64(id));
export const pDataKey = (queue: string, part: number, gen: bigint, id: string): Buffer => cat(`!sqs|msg|data|p|${b64(queue)}|`, be32(part), be64(gen), b64(id));

const body = (s: string | Buffer): string => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s).toString('base64');

export const SQS_ROWS: FsmRow[] = [
  // Standard queue "orders" at generation 3; one message of generation 2 is a purge leftover.
  {
    key: `!sqs|queue|meta|${b64('orders')}`,
    value: metaValue('{"name":"orders","generation":3,"visibility_timeout_seconds":30,"message_retention_seconds":345600,"delay_seconds":0,"receive_message_wait_seconds":0,"maximum_message_size":262144,"redrive_policy":"{\\"maxReceiveCount\\":5}","created_at_millis":1,"future_field":true}'),
  },
  { key: `!sqs|queue|gen|${b64('orders')}`, value: '3' },
  {
    key: dataKey('orders', 3n, 'm-2'),
    value: msgValue(`{"message_id":"m-2","body":"${body('<b>bold</b> & more')}","md5_of_body":"x","message_attributes":{"z":{"DataType":"String","StringValue":"<z>"},"a": {"DataType" : "Number","StringValue":"1"}},"send_timestamp_millis":2000,"available_at_millis":2000,"visible_at_millis":99999,"receive_count":3,"first_receive_millis":2500,"current_receipt_token":"${body('tok')}","queue_generation":3}`),
  },
  {
    key: dataKey('orders', 3n, 'm-1'),
    value: msgValue(`{"message_id":"m-1","body":"${body(Buffer.from([0xff, 0xfe, 0x00]))}","md5_of_body":"y","sender_id":"AID","send_timestamp_millis":1000,"available_at_millis":1500,"visible_at_millis":0,"receive_count":0,"current_receipt_token":null,"queue_generation":3,"dead_letter_source_arn":"arn:x"}`),
  },
  {
    key: dataKey('orders', 3n, 'm-0'),
    value: msgValue(`{"message_id":"m-0","body":"${body('same time, lower id')}","md5_of_body":"z","send_timestamp_millis":2000,"available_at_millis":2000,"visible_at_millis":0,"receive_count":0,"queue_generation":3}`),
  },
  {
    key: dataKey('orders', 2n, 'old'),
    value: msgValue(`{"message_id":"old","body":"${body('purged')}","md5_of_body":"w","send_timestamp_millis":10,"available_at_millis":10,"visible_at_millis":0,"receive_count":0,"queue_generation":2}`),
  },
  // FIFO queue with content-based dedup and a sequence counter.
  {
    key: `!sqs|queue|meta|${b64('jobs.fifo')}`,
    value: metaValue('{"name":"jobs.fifo","generation":1,"is_fifo":true,"content_based_dedup":true,"visibility_timeout_seconds":60,"message_retention_seconds":86400,"delay_seconds":5,"receive_message_wait_seconds":20,"maximum_message_size":1024}'),
  },
  { key: `!sqs|queue|gen|${b64('jobs.fifo')}`, value: '1' },
  { key: `!sqs|queue|seq|${b64('jobs.fifo')}`, value: '12' },
  {
    key: dataKey('jobs.fifo', 1n, 'j-1'),
    value: msgValue(`{"message_id":"j-1","body":"${body('job one')}","md5_of_body":"a","send_timestamp_millis":5000,"available_at_millis":10000,"visible_at_millis":0,"receive_count":0,"queue_generation":1,"message_group_id":"g1","sequence_number":11}`),
  },
  {
    key: dataKey('jobs.fifo', 1n, 'j-2'),
    value: msgValue(`{"message_id":"j-2","body":"${body('job two')}","md5_of_body":"b","send_timestamp_millis":5000,"available_at_millis":10000,"visible_at_millis":0,"receive_count":0,"queue_generation":1,"message_group_id":"g2","message_deduplication_id":"d2","sequence_number":12}`),
  },
  {
    key: dataKey('jobs.fifo', 1n, 'j-3'),
    value: msgValue(`{"message_id":"j-3","body":"${body('job two again')}","md5_of_body":"f","send_timestamp_millis":6000,"available_at_millis":6000,"visible_at_millis":0,"receive_count":0,"queue_generation":1,"message_group_id":"g1","message_deduplication_id":"d2","sequence_number":13}`),
  },
  // Partitioned FIFO queue (4 partitions, perMessageGroupId).
  {
    key: `!sqs|queue|meta|${b64('fast.fifo')}`,
    value: metaValue('{"name":"fast.fifo","generation":1,"is_fifo":true,"visibility_timeout_seconds":30,"message_retention_seconds":3600,"delay_seconds":0,"receive_message_wait_seconds":0,"maximum_message_size":262144,"partition_count":4,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup"}'),
  },
  { key: `!sqs|queue|gen|${b64('fast.fifo')}`, value: '1' },
  {
    key: pDataKey('fast.fifo', 1, 1n, 'p-1'),
    value: msgValue(`{"message_id":"p-1","body":"${body('partitioned')}","md5_of_body":"c","send_timestamp_millis":7000,"available_at_millis":7000,"visible_at_millis":0,"receive_count":0,"queue_generation":1,"message_group_id":"b","message_deduplication_id":"pd","sequence_number":3}`),
  },
  {
    key: pDataKey('fast.fifo', 3, 1n, 'p-2'),
    value: msgValue(`{"message_id":"p-2","body":"${body('other lane')}","md5_of_body":"e","send_timestamp_millis":6000,"available_at_millis":6000,"visible_at_millis":0,"receive_count":0,"queue_generation":1,"message_group_id":"d","message_deduplication_id":"pd","sequence_number":4}`),
  },
  // A queue whose config row is missing: its messages are dropped with a warning.
  {
    key: dataKey('ghost', 1n, 'g-1'),
    value: msgValue(`{"message_id":"g-1","body":"${body('boo')}","md5_of_body":"d","send_timestamp_millis":1,"available_at_millis":1,"visible_at_millis":0,"receive_count":0,"queue_generation":1}`),
  },
  // Derived rows (ignored unless side records are asked for).
  { key: cat(`!sqs|msg|vis|${b64('orders')}`, be64(3n), be64(1500n), b64('m-1')), value: 'm-1' },
  { key: cat(`!sqs|msg|byage|${b64('orders')}`, be64(3n), be64(1000n), b64('m-1')), value: 'm-1' },
  { key: cat(`!sqs|msg|group|${b64('jobs.fifo')}`, be64(1n), b64('g1')), value: 'lock' },
];
