import { fiatExponent, formatAmount, type FiatCurrency } from '@coinstile/core';
import { idToSepa, isMeaningfulSepaText, toSepaText } from './sepa-text';

/**
 * ISO 20022 `pain.001.001.03` (CustomerCreditTransferInitiationV03), the version every SEPA bank and
 * most others accept. Later versions differ mainly in: `pain.001.001.09` (2019) renames `BIC` to
 * `BICFI`, wraps `ReqdExctnDt` in a choice (`<ReqdExctnDt><Dt>…</Dt></ReqdExctnDt>`, or `DtTm`), adds
 * the LEI and `UETR` (`PmtId/UETR`), allows 140-character `Nm` with structured `PstlAdr` and widens
 * several code sets. A bank asking for 001.09 gets the same content with those elements renamed.
 */
export const PAIN001_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.03';

/** The mall's account the transfers are paid from. */
export interface DebtorAccount {
  readonly name: string;
  readonly iban: string;
  /** 8 or 11 characters. */
  readonly bic: string;
}

export interface Pain001Transfer {
  /** The payout id, written as EndToEndId (with `_` as `-`, see `idToSepa`). */
  readonly endToEndId: string;
  /** > 0, minor units of the file's currency. */
  readonly amountMinor: bigint;
  readonly creditorName: string;
  readonly creditorIban: string;
  readonly creditorBic: string | undefined;
  readonly remittance: string;
}

export interface Pain001Input {
  /** The batch id: MsgId and PmtInfId. */
  readonly messageId: string;
  readonly createdAt: Date;
  /** YYYY-MM-DD. */
  readonly requestedExecutionDate: string;
  readonly currency: FiatCurrency;
  readonly initiatingPartyName: string;
  readonly debtor: DebtorAccount;
  readonly transfers: readonly Pain001Transfer[];
}

export type Pain001RefusalReason = 'name_not_representable' | 'missing_bic' | 'bad_iban' | 'bad_bic' | 'bad_amount';

/** A transfer that cannot be written into a pain.001 file, with why. */
export class Pain001RefusedError extends Error {
  constructor(
    readonly reason: Pain001RefusalReason,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The pain.001.001.03 patterns (IBAN2007Identifier, BICIdentifier). */
const IBAN = /^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}$/;
const BIC = /^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$/;
/** ActiveOrHistoricCurrencyAndAmount: at most 18 digits in all. */
const MAX_AMOUNT_DIGITS = 18;

const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'));

/** `Nm` of a party, transliterated; SEPA allows 70 characters. */
export function sepaName(name: string, what: string): string {
  const text = toSepaText(name, 70);
  if (!isMeaningfulSepaText(text)) {
    throw new Pain001RefusedError('name_not_representable', `${what} name ${JSON.stringify(name)} has no characters of the SEPA set; give a Latin-script account name`);
  }
  return text;
}

/**
 * Checks one transfer against the file's rules and returns it normalised (transliterated name and
 * remittance text). @throws Pain001RefusedError naming why the bank would refuse it
 */
export function checkTransfer(transfer: Pain001Transfer, currency: FiatCurrency): Pain001Transfer {
  if (transfer.amountMinor <= 0n || transfer.amountMinor.toString().length > MAX_AMOUNT_DIGITS) {
    throw new Pain001RefusedError('bad_amount', `Amount ${transfer.amountMinor} is not a positive amount of at most ${MAX_AMOUNT_DIGITS} digits`);
  }
  if (!IBAN.test(transfer.creditorIban)) throw new Pain001RefusedError('bad_iban', 'Creditor IBAN is malformed');
  if (transfer.creditorBic !== undefined && !BIC.test(transfer.creditorBic)) throw new Pain001RefusedError('bad_bic', 'Creditor BIC is malformed');
  // SEPA routes by IBAN alone; every other credit transfer needs the creditor's bank.
  if (transfer.creditorBic === undefined && currency !== 'EUR') {
    throw new Pain001RefusedError('missing_bic', `A ${currency} transfer needs the creditor's BIC (only SEPA EUR transfers route by IBAN alone)`);
  }
  return {
    ...transfer,
    creditorName: sepaName(transfer.creditorName, 'Creditor'),
    remittance: toSepaText(transfer.remittance, 140),
  };
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** xs:dateTime without fraction or zone, in UTC (the form the EPC implementation guidelines show). */
function isoDateTime(d: Date): string {
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/**
 * The pain.001.001.03 document for one batch: one group header, one payment information block (one
 * currency, one debtor account, batch booking), one `CdtTrfTxInf` per transfer. Transfers must have
 * passed `checkTransfer`; the debtor is checked here. Built as one string: 100,000 transfers take well
 * under a second.
 */
export function buildPain001(input: Pain001Input): string {
  const { currency, debtor } = input;
  if (!IBAN.test(debtor.iban)) throw new Pain001RefusedError('bad_iban', 'The mall debtor IBAN is malformed');
  if (!BIC.test(debtor.bic)) throw new Pain001RefusedError('bad_bic', 'The mall debtor BIC is malformed');
  if (input.transfers.length === 0) throw new RangeError('A pain.001 file needs at least one transfer');
  const exponent = fiatExponent(currency);
  let totalMinor = 0n;
  for (const t of input.transfers) totalMinor += t.amountMinor;
  const ctrlSum = formatAmount(totalMinor, currency);
  const msgId = escapeXml(idToSepa(input.messageId));
  const sepa = currency === 'EUR';
  const ccy = escapeXml(currency);
  const parts: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<Document xmlns="${PAIN001_NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n`,
    '<CstmrCdtTrfInitn>\n',
    '<GrpHdr>',
    `<MsgId>${msgId}</MsgId>`,
    `<CreDtTm>${isoDateTime(input.createdAt)}</CreDtTm>`,
    `<NbOfTxs>${input.transfers.length}</NbOfTxs>`,
    `<CtrlSum>${ctrlSum}</CtrlSum>`,
    `<InitgPty><Nm>${escapeXml(sepaName(input.initiatingPartyName, 'Initiating party'))}</Nm></InitgPty>`,
    '</GrpHdr>\n',
    '<PmtInf>',
    `<PmtInfId>${msgId}</PmtInfId>`,
    '<PmtMtd>TRF</PmtMtd>',
    '<BtchBookg>true</BtchBookg>',
    `<NbOfTxs>${input.transfers.length}</NbOfTxs>`,
    `<CtrlSum>${ctrlSum}</CtrlSum>`,
    sepa ? '<PmtTpInf><SvcLvl><Cd>SEPA</Cd></SvcLvl></PmtTpInf>' : '',
    `<ReqdExctnDt>${escapeXml(input.requestedExecutionDate)}</ReqdExctnDt>`,
    `<Dbtr><Nm>${escapeXml(sepaName(debtor.name, 'Debtor'))}</Nm></Dbtr>`,
    `<DbtrAcct><Id><IBAN>${debtor.iban}</IBAN></Id><Ccy>${ccy}</Ccy></DbtrAcct>`,
    `<DbtrAgt><FinInstnId><BIC>${debtor.bic}</BIC></FinInstnId></DbtrAgt>`,
    // SEPA: charges shared by service level (SLEV, mandatory); elsewhere each side pays its own bank (SHAR).
    `<ChrgBr>${sepa ? 'SLEV' : 'SHAR'}</ChrgBr>\n`,
  ];
  for (const t of input.transfers) {
    parts.push(
      '<CdtTrfTxInf>',
      `<PmtId><EndToEndId>${escapeXml(idToSepa(t.endToEndId))}</EndToEndId></PmtId>`,
      `<Amt><InstdAmt Ccy="${ccy}">${exponent === 0 ? t.amountMinor.toString() : formatAmount(t.amountMinor, currency)}</InstdAmt></Amt>`,
      t.creditorBic === undefined ? '' : `<CdtrAgt><FinInstnId><BIC>${t.creditorBic}</BIC></FinInstnId></CdtrAgt>`,
      `<Cdtr><Nm>${escapeXml(t.creditorName)}</Nm></Cdtr>`,
      `<CdtrAcct><Id><IBAN>${t.creditorIban}</IBAN></Id></CdtrAcct>`,
      t.remittance.length === 0 ? '' : `<RmtInf><Ustrd>${escapeXml(t.remittance)}</Ustrd></RmtInf>`,
      '</CdtTrfTxInf>\n',
    );
  }
  parts.push('</PmtInf>\n</CstmrCdtTrfInitn>\n</Document>\n');
  return parts.join('');
}
