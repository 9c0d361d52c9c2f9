import { describeWithPostgres } from '@callpermit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinaryCopyWriter } from './copyBinary.js';
import { openSqlClient, type SqlClient } from './index.js';

interface Sample {
  t: string | null;
  b: Uint8Array;
  s: number | null;
  i: number | null;
  l: number | null;
  f: number | null;
  j: string | null;
}

const big = 'x'.repeat(3 << 20);
const samples: Sample[] = [
  {
    t: 'plain',
    b: Buffer.from([0, 1, 255]),
    s: -32768,
    i: 2 ** 31 - 1,
    l: 2 ** 53 - 1,
    f: 0.1,
    j: '{"a":1}',
  },
  { t: 'tab\tnewline\n\\ "é 📞"', b: Buffer.alloc(0), s: null, i: -1, l: null, f: -1e308, j: null },
  { t: null, b: Buffer.from('a NUL \0 inside', 'utf8'), s: 7, i: null, l: -(2 ** 53 - 1), f: null, j: '[]' },
  // Larger than one chunk: the writer hands it on whole.
  { t: big, b: Buffer.from(big), s: 0, i: 0, l: 0, f: 1767168000.5, j: `"${big}"` },
];

function write(rows: readonly Sample[]): Buffer[] {
  const out = new BinaryCopyWriter();
  for (const r of rows) out.row(7).text(r.t).bytes(r.b).int2(r.s).int4(r.i).int8(r.l).float8(r.f).text(r.j);
  expect(out.rows).toBe(rows.length);
  return out.chunks();
}

function copySuite(name: string, open: () => Promise<SqlClient>): void {
  describe(`binary COPY: ${name}`, () => {
    let client: SqlClient;
    beforeAll(async () => {
      client = await open();
      await client.query(
        'create table copied (n serial, t text, b bytea, s smallint, i integer, l bigint, f double precision, j json)',
      );
    });
    afterAll(async () => {
      await client?.close();
    });

    it('loads every value of every type as written, NULLs and bytes included', async () => {
      expect(await client.copyFrom('copied (t, b, s, i, l, f, j)', write(samples))).toBe(samples.length);
      const rows = await client.query('select t, b, s, i, l, f, j::text as j from copied order by n');
      // Bytes compared as base64: comparing megabytes element by element takes the test runner seconds.
      expect(rows.map((r) => ({ ...r, b: Buffer.from(r.b as Uint8Array).toString('base64') }))).toEqual(
        samples.map((s) => ({ ...s, b: Buffer.from(s.b).toString('base64') })),
      );
    });

    it('inside a transaction, a load that fails (bad json) leaves nothing behind', async () => {
      const before = await client.query('select count(*)::int as n from copied');
      const bad = write([{ t: 'ok', b: Buffer.from('x'), s: 1, i: 1, l: 1, f: 1, j: '{not json' }]);
      await expect(
        client.transaction(async (tx) => {
          await tx.copyFrom('copied (t, b, s, i, l, f, j)', write(samples));
          await tx.copyFrom('copied (t, b, s, i, l, f, j)', bad);
        }),
      ).rejects.toThrow(/json/i);
      expect(await client.query('select count(*)::int as n from copied')).toEqual(before);
    });
  });
}

copySuite('PGlite', () => openSqlClient({ dataDir: 'memory://' }));
describeWithPostgres('PostgreSQL', (newDatabase) => {
  copySuite('PostgreSQL', async () => openSqlClient({ databaseUrl: await newDatabase() }));
});
