// Writes the hand-written MMLU sample (from the JSONL copy) as parquet, in cais/mmlu's layout,
// with two independent writers: arrow-rs (parquet-wasm) and hyparquet-writer.
import fs from 'node:fs';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { parquetWriteBuffer } from 'hyparquet-writer';

const src = process.argv[2], out = process.argv[3];
function rows(split) {
  return fs.readFileSync(`${src}/${split}.jsonl`, 'utf8').trim().split('\n').map(l => JSON.parse(l))
    .map(r => ({ ...r, answer: typeof r.answer === 'number' ? r.answer : 'ABCD'.indexOf(r.answer) }));
}
function arrowTable(rs) {
  return new arrow.Table({
    question: arrow.vectorFromArray(rs.map(r => r.question), new arrow.Utf8()),
    subject: arrow.vectorFromArray(rs.map(r => r.subject), new arrow.Utf8()),
    choices: arrow.vectorFromArray(rs.map(r => r.choices), new arrow.List(new arrow.Field('item', new arrow.Utf8(), true))),
    answer: arrow.vectorFromArray(BigInt64Array.from(rs.map(r => BigInt(r.answer)))),
  });
}
function writeRs(dir, split, rs, version, compression, dictionary) {
  const t = pw.Table.fromIPCStream(arrow.tableToIPC(arrowTable(rs), 'stream'));
  const props = new pw.WriterPropertiesBuilder().setCompression(compression).setWriterVersion(version)
    .setDictionaryEnabled(dictionary).build();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(`${dir}/${split}-00000-of-00001.parquet`, pw.writeParquet(t, props));
}
function writeHy(dir, split, rs) {
  const buf = parquetWriteBuffer({ columnData: [
    { name: 'question', data: rs.map(r => r.question) },
    { name: 'subject', data: rs.map(r => r.subject) },
    { name: 'choices', data: rs.map(r => r.choices) },
    { name: 'answer', data: Array.from(rs.map(r => BigInt(r.answer))) },
  ], schema: [
    { name: 'root', num_children: 4 },
    { name: 'question', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'subject', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'choices', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'answer', type: 'INT64', repetition_type: 'OPTIONAL' },
  ] });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(`${dir}/${split}-00000-of-00001.parquet`, Buffer.from(buf));
}
for (const split of ['dev', 'test']) {
  const rs = rows(split);
  writeRs(`${out}/arrow-rs-v1-snappy-dict/all`, split, rs, pw.WriterVersion.V1, pw.Compression.SNAPPY, true);
  writeRs(`${out}/arrow-rs-v2-gzip-dict/all`, split, rs, pw.WriterVersion.V2, pw.Compression.GZIP, true);
  writeRs(`${out}/arrow-rs-v1-uncompressed-plain/all`, split, rs, pw.WriterVersion.V1, pw.Compression.UNCOMPRESSED, false);
  writeHy(`${out}/hyparquet/all`, split, rs);
  // Per-subject folders, as the dataset also ships them.
  for (const subject of [...new Set(rs.map(r => r.subject))]) {
    writeRs(`${out}/per-subject/${subject}`, split, rs.filter(r => r.subject === subject), pw.WriterVersion.V1,
      pw.Compression.SNAPPY, true);
  }
}
