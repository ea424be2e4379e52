/** Where a component reports an error of ours that it caught so the server keeps running. */
export type FaultHandler = (source: string, error: unknown) => void;

/** An error of ours that was caught, logged and kept (shown in `GET /netsim/v1/clock`). */
export interface Fault {
  /** What failed: `clock timer "name"`, `controllers`, `commit hook`. */
  source: string;
  message: string;
  /** The simulated time it happened at. */
  at: string;
}

/**
 * The last fault and how many there were. A throw in a timer of the
 * real-time clock, in a settle continuation or in a commit hook has no caller
 * left to take it: it is recorded here and logged instead of crashing the server.
 */
export class FaultLog {
  private lastFault: Fault | undefined;
  private total = 0;

  constructor(
    private readonly now: () => number,
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {}

  readonly record: FaultHandler = (source, error) => {
    const message = error instanceof Error ? error.message : String(error);
    this.total++;
    this.lastFault = { source, message, at: new Date(this.now()).toISOString() };
    this.log(`kube-netsim: ${source} failed: ${error instanceof Error && error.stack ? error.stack : message}`);
  };

  get last(): Fault | undefined {
    return this.lastFault;
  }

  get count(): number {
    return this.total;
  }
}
