import { AppError } from '../http/errors.js';

/**
 * Failed logins per (address, username): after MAX_FAILURES within WINDOW_MS, further attempts
 * answer 429 until the oldest failure leaves the window, whether or not the password is right. A
 * success clears the key. Kept in memory per instance (a restart forgets it); the map is bounded,
 * dropping the oldest keys first, so a flood of usernames cannot grow it without end.
 */
const MAX_FAILURES = 10;
const WINDOW_MS = 15 * 60_000;
const MAX_KEYS = 10_000;

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures = MAX_FAILURES,
    private readonly windowMs = WINDOW_MS,
  ) {}

  private key(address: string, username: string): string {
    return `${address}|${username.toLowerCase()}`;
  }

  /** Seconds to wait before the next attempt, or 0 when one may be made now. */
  private retryAfter(address: string, username: string, now = Date.now()): number {
    const recent = (this.failures.get(this.key(address, username)) ?? []).filter((t) => t > now - this.windowMs);
    if (recent.length < this.maxFailures) return 0;
    return Math.ceil((recent[0]! + this.windowMs - now) / 1000);
  }

  /** Throws the family's 429 when the key has failed too often. */
  private check(address: string, username: string, now = Date.now()): void {
    const wait = this.retryAfter(address, username, now);
    if (wait > 0)
      throw new AppError(
        'too_many_requests',
        `Error, too many requests. Please slow down. You must wait ${wait} seconds before trying this endpoint again.`,
        { retryAfter: wait },
      );
  }

  /**
   * A sign-in under the throttle: refused with 429 while the key is held back, then `signIn`,
   * whose undefined (a wrong credential) counts as a failure and whose result clears the key.
   */
  async attempt<T>(address: string, username: string, signIn: () => Promise<T | undefined>): Promise<T | undefined> {
    this.check(address, username);
    const result = await signIn();
    if (result === undefined) this.failed(address, username);
    else this.succeeded(address, username);
    return result;
  }

  private failed(address: string, username: string, now = Date.now()): void {
    const key = this.key(address, username);
    const recent = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
    recent.push(now);
    this.failures.delete(key);
    this.failures.set(key, recent.slice(-this.maxFailures));
    if (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value!);
  }

  private succeeded(address: string, username: string): void {
    this.failures.delete(this.key(address, username));
  }
}
