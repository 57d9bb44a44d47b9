// A re-armable deadline on top of a Clock. TCP moves its deadlines on
// nearly every segment (the retransmission timer restarts on each ACK,
// RFC 6298 5.3), so re-arming only stores the new deadline. The clock
// timer underneath is created again only when it would fire too late; when
// it fires early it sleeps again until the stored deadline.
import type { Clock, TimerHandle } from '../clock';

export class DeadlineTimer {
  private deadline = -1;
  private scheduledFor = -1;
  private handle: TimerHandle | undefined;
  private readonly onClockTimer = (): void => this.expire();

  constructor(
    private readonly clock: Clock,
    private readonly callback: () => void,
  ) {}

  get armed(): boolean {
    return this.deadline >= 0;
  }

  /** Time in ms at which the timer fires, or -1 when it is not armed. */
  get expiresAt(): number {
    return this.deadline;
  }

  /** Arms the timer to fire `delayMs` from now, replacing any earlier deadline. */
  arm(delayMs: number): void {
    const now = this.clock.now();
    this.deadline = now + delayMs;
    if (this.handle !== undefined && this.scheduledFor <= this.deadline) return;
    this.handle?.cancel();
    this.scheduledFor = this.deadline;
    this.handle = this.clock.setTimer(delayMs, this.onClockTimer);
  }

  /** Disarms the timer. The clock timer, if any, stays and fires to no effect. */
  cancel(): void {
    this.deadline = -1;
  }

  /** Disarms the timer and cancels the clock timer; for connections that are gone. */
  dispose(): void {
    this.deadline = -1;
    this.handle?.cancel();
    this.handle = undefined;
  }

  private expire(): void {
    this.handle = undefined;
    if (this.deadline < 0) return;
    const now = this.clock.now();
    if (now < this.deadline) {
      this.scheduledFor = this.deadline;
      this.handle = this.clock.setTimer(this.deadline - now, this.onClockTimer);
      return;
    }
    this.deadline = -1;
    this.callback();
  }
}
