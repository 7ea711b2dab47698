import { isFiatCurrency, parseAmount, type FiatCurrency } from '@coinstile/core';
import { PAIN001_NAMESPACE } from './pain001-document';
import { idFromSepa } from './sepa-text';
import { childAt, childrenNamed, parseXml, type XmlElement } from './xml-tree';

export interface Pain001FileTransfer {
  /** The payout id (`-` turned back into `_`). */
  readonly payoutId: string;
  readonly amountMinor: bigint;
  readonly currency: FiatCurrency;
  readonly creditorName: string;
  readonly creditorIban: string;
  readonly creditorBic: string | undefined;
  readonly remittance: string | undefined;
}

/** A pain.001 file read back and checked. */
export interface Pain001File {
  /** The batch id (`-` turned back into `_`). */
  readonly batchId: string;
  readonly createdAt: string;
  readonly currency: FiatCurrency;
  readonly totalMinor: bigint;
  readonly transfers: readonly Pain001FileTransfer[];
}

/** The file is not a well-formed pain.001.001.03 credit transfer as Coinstile writes them. */
export class Pain001FormatError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Not a valid pain.001.001.03 file: ${problems.join('; ')}`);
    this.name = new.target.name;
  }
}

/**
 * Reads a pain.001.001.03 file and checks its structure strictly, as the XSD and the EPC guidelines
 * require of the elements Coinstile writes: namespace; GrpHdr with MsgId, CreDtTm, NbOfTxs, CtrlSum,
 * InitgPty/Nm; each PmtInf with PmtInfId, PmtMtd TRF, BtchBookg, NbOfTxs, CtrlSum, ReqdExctnDt,
 * Dbtr/Nm, DbtrAcct/Id/IBAN, DbtrAgt/FinInstnId/BIC, SvcLvl SEPA for EUR; each CdtTrfTxInf with
 * PmtId/EndToEndId, Amt/InstdAmt with Ccy and the currency's decimals, Cdtr/Nm, CdtrAcct/Id/IBAN; every
 * NbOfTxs and CtrlSum equal to the count and sum of the transactions; one currency per file.
 * @throws Pain001FormatError listing every problem found
 */
export function readPain001(xml: string): Pain001File {
  const problems: string[] = [];
  const doc = parseXml(xml);
  if (doc.name !== 'Document') problems.push(`root is <${doc.name}>, not <Document>`);
  if (doc.attributes.xmlns !== PAIN001_NAMESPACE) problems.push(`namespace is ${doc.attributes.xmlns ?? 'missing'}`);
  const initn = childAt(doc, 'CstmrCdtTrfInitn');
  if (!initn) throw new Pain001FormatError([...problems, 'CstmrCdtTrfInitn missing']);
  const required = (el: XmlElement, path: string): string => {
    const found = childAt(el, path);
    if (!found || found.text.trim().length === 0) {
      problems.push(`${el.name}/${path} missing or empty`);
      return '';
    }
    return found.text;
  };
  const msgId = required(initn, 'GrpHdr/MsgId');
  if (msgId.length > 35) problems.push('MsgId longer than 35 characters');
  const createdAt = required(initn, 'GrpHdr/CreDtTm');
  if (createdAt && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(createdAt)) problems.push(`CreDtTm ${createdAt} is not an ISODateTime`);
  const groupCount = required(initn, 'GrpHdr/NbOfTxs');
  const groupSum = required(initn, 'GrpHdr/CtrlSum');
  required(initn, 'GrpHdr/InitgPty/Nm');

  const transfers: Pain001FileTransfer[] = [];
  const currencies = new Set<string>();
  const paymentInfos = childrenNamed(initn, 'PmtInf');
  if (paymentInfos.length === 0) problems.push('no PmtInf');
  for (const pmtInf of paymentInfos) {
    required(pmtInf, 'PmtInfId');
    if (required(pmtInf, 'PmtMtd') !== 'TRF') problems.push('PmtMtd is not TRF');
    if (!['true', 'false'].includes(required(pmtInf, 'BtchBookg'))) problems.push('BtchBookg is not a boolean');
    const count = required(pmtInf, 'NbOfTxs');
    const sum = required(pmtInf, 'CtrlSum');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(required(pmtInf, 'ReqdExctnDt'))) problems.push('ReqdExctnDt is not an ISODate');
    required(pmtInf, 'Dbtr/Nm');
    required(pmtInf, 'DbtrAcct/Id/IBAN');
    required(pmtInf, 'DbtrAgt/FinInstnId/BIC');
    const txs = childrenNamed(pmtInf, 'CdtTrfTxInf');
    const blockCurrencies = new Set<string>();
    let blockTotal = 0n;
    for (const tx of txs) {
      const e2e = required(tx, 'PmtId/EndToEndId');
      if (e2e.length > 35) problems.push(`EndToEndId ${e2e} longer than 35 characters`);
      const amt = childAt(tx, 'Amt/InstdAmt');
      const ccy = amt?.attributes.Ccy ?? '';
      if (!amt || !isFiatCurrency(ccy)) {
        problems.push(`${e2e}: InstdAmt missing or without a known Ccy`);
        continue;
      }
      blockCurrencies.add(ccy);
      let amountMinor = 0n;
      try {
        amountMinor = parseAmount(amt.text, ccy);
        if (amountMinor <= 0n) problems.push(`${e2e}: amount is zero`);
      } catch {
        problems.push(`${e2e}: InstdAmt ${amt.text} is not a ${ccy} amount`);
      }
      blockTotal += amountMinor;
      const name = required(tx, 'Cdtr/Nm');
      const iban = required(tx, 'CdtrAcct/Id/IBAN');
      transfers.push({
        payoutId: idFromSepa(e2e),
        amountMinor,
        currency: ccy,
        creditorName: name,
        creditorIban: iban,
        creditorBic: childAt(tx, 'CdtrAgt/FinInstnId/BIC')?.text,
        remittance: childAt(tx, 'RmtInf/Ustrd')?.text,
      });
    }
    if (count !== String(txs.length)) problems.push(`PmtInf NbOfTxs ${count} but ${txs.length} transactions`);
    const [blockCurrency] = blockCurrencies;
    if (blockCurrencies.size > 1) problems.push('PmtInf mixes currencies');
    if (blockCurrency !== undefined) {
      currencies.add(blockCurrency);
      if (parseSum(sum, blockCurrency as FiatCurrency) !== blockTotal) problems.push(`PmtInf CtrlSum ${sum} is not the sum of its transactions`);
      if ((childAt(pmtInf, 'PmtTpInf/SvcLvl/Cd')?.text === 'SEPA') !== (blockCurrency === 'EUR')) problems.push('SvcLvl SEPA must be set exactly for EUR');
    }
  }
  if (groupCount !== String(transfers.length)) problems.push(`GrpHdr NbOfTxs ${groupCount} but ${transfers.length} transactions`);
  if (currencies.size !== 1) problems.push(`expected one currency per file, found ${currencies.size}`);
  const [currency] = currencies;
  const totalMinor = transfers.reduce((s, t) => s + t.amountMinor, 0n);
  if (currency !== undefined && parseSum(groupSum, currency as FiatCurrency) !== totalMinor) problems.push(`GrpHdr CtrlSum ${groupSum} is not the sum of the transactions`);
  const seen = new Set<string>();
  for (const t of transfers) {
    if (seen.has(t.payoutId)) problems.push(`EndToEndId ${t.payoutId} appears twice`);
    seen.add(t.payoutId);
  }
  if (problems.length > 0) throw new Pain001FormatError(problems);
  return { batchId: idFromSepa(msgId), createdAt, currency: currency as FiatCurrency, totalMinor, transfers };
}

function parseSum(text: string, currency: FiatCurrency): bigint | null {
  try {
    return parseAmount(text, currency);
  } catch {
    return null;
  }
}
