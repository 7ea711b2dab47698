import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock, PayoutBatchId, PayoutId, PayoutInstruction, PayoutProvider, PayoutSubmission } from '@coinstile/core';
import { buildPain001, checkTransfer, Pain001RefusedError, type DebtorAccount, type Pain001Transfer } from './pain001-document';
import { readPain001 } from './pain001-reader';
import { BankFileConflictError } from './provider-errors';

export interface BankFileProviderOptions {
  /** Where files go: `<COINSTILE_DATA_DIR>/payouts` in a deployment. Created when missing. */
  readonly directory: string;
  /** The mall's account per payout currency (`'*'`: any other currency). */
  readonly debtorAccounts: Readonly<Record<string, DebtorAccount>>;
  /** `InitgPty/Nm`: the mall. */
  readonly initiatingPartyName: string;
  readonly clock: Clock;
  /** `ReqdExctnDt` for a file written at `now`; default: that UTC day. */
  readonly executionDate?: (now: Date) => string;
}

export const BANK_FILE_PROVIDER = 'bank_file';

/** The file a batch is written to. */
export const bankFileName = (batchId: string): string => `${batchId}.pain001.xml`;

/**
 * Pays by ISO 20022 pain.001.001.03 credit-transfer files, one per batch (so one per currency and
 * provider run), written atomically (temporary file, fsync, rename, fsync of the directory) into
 * `directory` for the operator or an EBICS/SFTP job to upload. Transfers the file format cannot carry
 * (a name with no Latin letters, a non-EUR transfer without BIC, …) are answered `failed` with the
 * reason and left out of the file; the rest are `submitted`.
 *
 * Idempotent per batch: submitting a batch whose file exists reads the file back and answers from it
 * (the file is never rewritten, so a crash between writing and recording cannot produce a second file
 * with other contents). `status` knows nothing: a bank file settles when the operator sees the bank
 * statement and marks the payouts paid or failed.
 */
export class BankFilePayoutProvider implements PayoutProvider {
  readonly name = BANK_FILE_PROVIDER;

  constructor(private readonly options: BankFileProviderOptions) {}

  async submit(batchId: PayoutBatchId, payouts: readonly PayoutInstruction[]): Promise<PayoutSubmission[]> {
    const [first] = payouts;
    if (!first) return [];
    const currency = first.currency;
    const fileName = bankFileName(batchId);
    const accepted: Pain001Transfer[] = [];
    const answers = new Map<PayoutId, PayoutSubmission>();
    for (const p of payouts) {
      if (p.currency !== currency) throw new RangeError(`Batch ${batchId} mixes ${currency} and ${p.currency}`);
      try {
        accepted.push(
          checkTransfer(
            {
              endToEndId: p.payoutId,
              amountMinor: p.amountMinor,
              creditorName: p.account.holderName,
              creditorIban: p.account.iban,
              creditorBic: p.account.bic,
              remittance: p.reference,
            },
            currency,
          ),
        );
        answers.set(p.payoutId, { payoutId: p.payoutId, status: 'submitted', providerReference: `${fileName}#${p.payoutId}`, failureReason: null });
      } catch (err) {
        if (!(err instanceof Pain001RefusedError)) throw err;
        answers.set(p.payoutId, { payoutId: p.payoutId, status: 'failed', providerReference: fileName, failureReason: `${err.reason}: ${err.message}` });
      }
    }
    if (accepted.length > 0) await this.#writeOnce(batchId, fileName, currency, accepted);
    return payouts.map((p) => answers.get(p.payoutId) as PayoutSubmission);
  }

  async status(): Promise<PayoutSubmission[]> {
    return [];
  }

  async #writeOnce(batchId: PayoutBatchId, fileName: string, currency: PayoutInstruction['currency'], transfers: Pain001Transfer[]): Promise<void> {
    const { directory } = this.options;
    const path = join(directory, fileName);
    const existing = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (existing !== null) {
      const file = readPain001(existing);
      const want = new Map(transfers.map((t) => [t.endToEndId, t.amountMinor]));
      const same = file.transfers.length === want.size && file.transfers.every((t) => want.get(t.payoutId) === t.amountMinor);
      if (!same) throw new BankFileConflictError(path, `Bank file ${path} exists with other transfers than batch ${batchId}`);
      return;
    }
    const debtor = this.options.debtorAccounts[currency] ?? this.options.debtorAccounts['*'];
    if (!debtor) throw new RangeError(`No mall debtor account configured for ${currency} bank files`);
    const now = this.options.clock.now();
    const xml = buildPain001({
      messageId: batchId,
      createdAt: now,
      requestedExecutionDate: this.options.executionDate?.(now) ?? now.toISOString().slice(0, 10),
      currency,
      initiatingPartyName: this.options.initiatingPartyName,
      debtor,
      transfers,
    });
    await mkdir(directory, { recursive: true });
    const temporary = join(directory, `.${fileName}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(temporary, 'wx');
      try {
        await handle.writeFile(xml, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
    const dir = await open(directory, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
