/**
 * Group commit: work submitted within one turn of the event loop is flushed together (one statement for
 * many requests), and each submitter's promise settles with its own result. Under load this turns
 * N round trips into one; a lone request waits only for the end of the current turn.
 */
export class GroupCommit<In, Out> {
  private queue: { input: In; resolve(out: Out): void; reject(err: unknown): void }[] = [];
  private scheduled = false;

  constructor(
    /** Handles a batch; returns one result per input, in order. */
    private readonly flushBatch: (inputs: readonly In[]) => Promise<readonly Out[]>,
    /**
     * Handles one input alone: a batch of one, or (`afterBatchError`) each input of a batch that failed,
     * so one bad input fails only its own caller. The failed batch may still have committed.
     */
    private readonly flushOne: (input: In, afterBatchError: boolean) => Promise<Out>,
    private readonly maxBatchSize = 200,
  ) {}

  submit(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.queue.length >= this.maxBatchSize) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    if (batch.length === 1) {
      const only = batch[0]!;
      this.flushOne(only.input, false).then(only.resolve, only.reject);
      return;
    }
    this.flushBatch(batch.map((entry) => entry.input)).then(
      (outputs) => batch.forEach((entry, i) => entry.resolve(outputs[i] as Out)),
      () => {
        for (const entry of batch) this.flushOne(entry.input, true).then(entry.resolve, entry.reject);
      },
    );
  }
}
