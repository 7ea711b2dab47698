/** The time source. Core never reads the system clock; services inject one (tests a fixed one). */
export interface Clock {
  /** The current instant. Successive calls never go backwards within one process. */
  now(): Date;
}
