import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFiatCurrency } from '@coinstile/core';
import { buildPain001, checkTransfer, Pain001FormatError, Pain001RefusedError, readPain001, toSepaText, type Pain001Transfer } from '../../src/payouts-io';
import { xmllint } from './support/payout-test-db';

const EUR = parseFiatCurrency('EUR');
const JPY = parseFiatCurrency('JPY');
const BHD = parseFiatCurrency('BHD');
const debtor = { name: 'Coinstile Mall GmbH', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' };

const transfer = (n: number, over: Partial<Pain001Transfer> = {}): Pain001Transfer => ({
  endToEndId: `po_01JD${String(n).padStart(22, '0')}`,
  amountMinor: BigInt(1000 + n),
  creditorName: `Store ${n}`,
  creditorIban: 'FR1420041010050500013M02606',
  creditorBic: 'PSSTFRPPXXX',
  remittance: `Coinstile payout ${n}`,
  ...over,
});

describe('pain.001.001.03 document', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'coinstile-pain001-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, xml: string) => {
    const path = join(dir, name);
    writeFileSync(path, xml);
    return path;
  };

  test('EUR file: every required element, sums and counts, SEPA service level; xmllint finds it well-formed', async () => {
    const transfers = [transfer(1), transfer(2, { creditorBic: undefined }), transfer(3, { amountMinor: 5n })].map((t) => checkTransfer(t, EUR));
    const xml = buildPain001({
      messageId: 'pb_01JD0000000000000000000001',
      createdAt: new Date('2026-11-21T07:36:42.123Z'),
      requestedExecutionDate: '2026-11-21',
      currency: EUR,
      initiatingPartyName: 'Coinstile Mall',
      debtor,
      transfers,
    });
    expect(await xmllint(write('eur.xml', xml))).toBe('');
    const file = readPain001(xml);
    expect(file.batchId).toBe('pb_01JD0000000000000000000001');
    expect(file.currency).toBe('EUR');
    expect(file.totalMinor).toBe(1001n + 1002n + 5n);
    expect(file.transfers.map((t) => t.payoutId)).toEqual(transfers.map((t) => t.endToEndId));
    expect(xml).toContain('<MsgId>pb-01JD0000000000000000000001</MsgId>');
    expect(xml).toContain('<CreDtTm>2026-11-21T07:36:42</CreDtTm>');
    expect(xml).toContain('<NbOfTxs>3</NbOfTxs>');
    expect(xml).toContain('<CtrlSum>20.08</CtrlSum>');
    expect(xml).toContain('<PmtTpInf><SvcLvl><Cd>SEPA</Cd></SvcLvl></PmtTpInf>');
    expect(xml).toContain('<InstdAmt Ccy="EUR">0.05</InstdAmt>');
    expect(xml).toContain('<ChrgBr>SLEV</ChrgBr>');
    expect(xml).toContain('<DbtrAgt><FinInstnId><BIC>COBADEFFXXX</BIC></FinInstnId></DbtrAgt>');
    // The transfer without BIC routes by IBAN alone, with no empty CdtrAgt.
    expect(file.transfers[1]?.creditorBic).toBeUndefined();
  });

  test('currency exponents: JPY has no decimals, BHD three; no SEPA service level outside EUR', async () => {
    const jpy = buildPain001({
      messageId: 'pb_J', createdAt: new Date(), requestedExecutionDate: '2026-11-21', currency: JPY, initiatingPartyName: 'Mall', debtor,
      transfers: [checkTransfer(transfer(1, { amountMinor: 4980n }), JPY), checkTransfer(transfer(2, { amountMinor: 20n }), JPY)],
    });
    expect(jpy).toContain('<InstdAmt Ccy="JPY">4980</InstdAmt>');
    expect(jpy).toContain('<CtrlSum>5000</CtrlSum>');
    expect(jpy).not.toContain('SvcLvl');
    expect(jpy).toContain('<ChrgBr>SHAR</ChrgBr>');
    const bhd = buildPain001({
      messageId: 'pb_B', createdAt: new Date(), requestedExecutionDate: '2026-11-21', currency: BHD, initiatingPartyName: 'Mall', debtor,
      transfers: [checkTransfer(transfer(1, { amountMinor: 1234n }), BHD)],
    });
    expect(bhd).toContain('<InstdAmt Ccy="BHD">1.234</InstdAmt>');
    expect(readPain001(bhd).totalMinor).toBe(1234n);
    expect(await xmllint(write('jpy.xml', jpy), write('bhd.xml', bhd))).toBe('');
  });

  test('names are transliterated to the SEPA set and XML-escaped; a name with nothing Latin is refused', async () => {
    const t = checkTransfer(transfer(1, { creditorName: `Müller & Søn <Tee> "Straße" O'Neil 東京`, remittance: 'Order =1+1 <script>' }), EUR);
    expect(t.creditorName).toBe(`Muller + Son Tee 'Strasse' O'Neil`);
    expect(toSepaText('a_b€c', 70)).toBe('a-b c');
    // Text that is plain already takes a shortcut; it must answer as the full transliteration would.
    expect(toSepaText('Coinstile payout po_01ABC order A-1', 140)).toBe('Coinstile payout po-01ABC order A-1');
    expect(toSepaText('Kobe Tea House KK', 5)).toBe('Kobe');
    expect(toSepaText('  Kobe  Tea\tHouse ', 70)).toBe('Kobe Tea House');
    expect(toSepaText('Kobe Tea Hous\u00e9', 70)).toBe('Kobe Tea House');
    const xml = buildPain001({ messageId: 'pb_X', createdAt: new Date(), requestedExecutionDate: '2026-11-21', currency: EUR, initiatingPartyName: 'Mall', debtor, transfers: [t] });
    expect(xml).toContain('<Nm>Muller + Son Tee &apos;Strasse&apos; O&apos;Neil</Nm>');
    expect(await xmllint(write('names.xml', xml))).toBe('');
    expect(readPain001(xml).transfers[0]?.creditorName).toBe(`Muller + Son Tee 'Strasse' O'Neil`);
    expect(() => checkTransfer(transfer(2, { creditorName: '東京商店' }), EUR)).toThrow(Pain001RefusedError);
  });

  test.each([
    ['missing_bic', { creditorBic: undefined }, JPY],
    ['bad_iban', { creditorIban: 'de89 3704' }, EUR],
    ['bad_bic', { creditorBic: 'COBA' }, EUR],
    ['bad_amount', { amountMinor: 0n }, EUR],
    ['bad_amount', { amountMinor: 10n ** 18n }, EUR],
  ] as const)('refuses %s', (reason, over, currency) => {
    try {
      checkTransfer(transfer(1, over), currency);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(Pain001RefusedError);
      expect((err as Pain001RefusedError).reason).toBe(reason);
    }
  });

  test('the reader refuses files whose counts or sums disagree, or that miss required elements', () => {
    const xml = buildPain001({
      messageId: 'pb_R', createdAt: new Date(), requestedExecutionDate: '2026-11-21', currency: EUR, initiatingPartyName: 'Mall', debtor,
      transfers: [checkTransfer(transfer(1), EUR), checkTransfer(transfer(2), EUR)],
    });
    const broken = (from: string, to: string) => () => readPain001(xml.replace(from, to));
    expect(broken('<CtrlSum>20.03</CtrlSum>', '<CtrlSum>20.04</CtrlSum>')).toThrow(Pain001FormatError);
    expect(broken('<NbOfTxs>2</NbOfTxs>', '<NbOfTxs>3</NbOfTxs>')).toThrow(/NbOfTxs/);
    expect(broken('<Cdtr><Nm>Store 1</Nm></Cdtr>', '')).toThrow(/Cdtr\/Nm/);
    expect(broken('<PmtMtd>TRF</PmtMtd>', '<PmtMtd>CHK</PmtMtd>')).toThrow(/TRF/);
    expect(broken('pain.001.001.03', 'pain.001.001.09')).toThrow(/namespace/);
    expect(broken('</Document>', '')).toThrow(/Unclosed/);
  });
});
