/** Which requests a fault applies to. */
export interface FaultMatch {
  /** HTTP method to match (any when absent). */
  method?: string;
  /**
   * Path to match (any when absent). A string matches the path relative to the API root
   * (`/file/chunk`) or the full URL path (`/api/v1/file/chunk`) exactly; a RegExp is tested
   * against the relative path, then the full path. The query string is never part of it.
   */
  path?: string | RegExp;
}

/** Options of {@link FaultInjector.failNext}. */
export interface FailFault extends FaultMatch {
  /** The HTTP status to answer with. */
  status: number;
  /**
   * How many matching requests fail.
   * @default 1
   */
  count?: number;
  /**
   * How many matching requests pass untouched before the first failure.
   * @default 0
   */
  after?: number;
  /**
   * The error message in the `{ message, type }` body.
   * @default "Injected fault (status <status>)."
   */
  message?: string;
}

/** Options of {@link FaultInjector.cutDownload}. */
export interface CutFault extends FaultMatch {
  /** Body bytes sent before the socket is destroyed. */
  afterBytes: number;
  /**
   * How many matching responses are cut.
   * @default 1
   */
  count?: number;
  /**
   * How many matching requests pass untouched before the first cut.
   * @default 0
   */
  after?: number;
}

/** Options of {@link FaultInjector.delay}. */
export interface DelayFault extends FaultMatch {
  /** Milliseconds to wait before handling the request. */
  ms: number;
  /**
   * How many matching requests are delayed.
   * @default 1
   */
  count?: number;
  /**
   * How many matching requests pass untouched before the first delay.
   * @default 0
   */
  after?: number;
}

/**
 * Injects failures into the server's answers, for testing retries and resumption. Faults of one
 * kind are consulted in the order they were added; a request is counted by every fault it matches
 * until one fires.
 */
export interface FaultInjector {
  /**
   * Answers the next matching request(s) with `status` and a Girder error body
   * `{ message, type: "rest" }`, before the request is handled (its body is discarded).
   *
   * @param fault - What to match, the status, how many, how many to skip first.
   */
  failNext(fault: FailFault): void;
  /**
   * Destroys the socket after `afterBytes` bytes of the next matching response body
   * (headers, status and Content-Length are sent as usual).
   *
   * @param fault - What to match, where to cut, how many.
   */
  cutDownload(fault: CutFault): void;
  /**
   * Waits `ms` before handling the next matching request(s).
   *
   * @param fault - What to match, how long, how many.
   */
  delay(fault: DelayFault): void;
  /** Removes every pending fault. */
  clear(): void;
  /** How many faults are still pending (not yet fired their full count). */
  readonly pending: number;
}

interface Pending<T> {
  fault: T;
  remaining: number;
  skip: number;
}

/** Internal: the server's fault store. */
export class FaultStore implements FaultInjector {
  private fails: Pending<FailFault>[] = [];
  private cuts: Pending<CutFault>[] = [];
  private delays: Pending<DelayFault>[] = [];

  failNext(fault: FailFault): void {
    checkCount('failNext', fault.count, fault.after);
    if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) {
      throw new TypeError(`failNext: status must be an HTTP status (100-599), got ${String(fault.status)}.`);
    }
    this.fails.push({ fault, remaining: fault.count ?? 1, skip: fault.after ?? 0 });
  }

  cutDownload(fault: CutFault): void {
    checkCount('cutDownload', fault.count, fault.after);
    if (!Number.isInteger(fault.afterBytes) || fault.afterBytes < 0) {
      throw new TypeError(
        `cutDownload: afterBytes must be a non-negative integer, got ${String(fault.afterBytes)}.`,
      );
    }
    this.cuts.push({ fault, remaining: fault.count ?? 1, skip: fault.after ?? 0 });
  }

  delay(fault: DelayFault): void {
    checkCount('delay', fault.count, fault.after);
    if (!(fault.ms >= 0))
      throw new TypeError(`delay: ms must be a non-negative number, got ${String(fault.ms)}.`);
    this.delays.push({ fault, remaining: fault.count ?? 1, skip: fault.after ?? 0 });
  }

  clear(): void {
    this.fails = [];
    this.cuts = [];
    this.delays = [];
  }

  get pending(): number {
    return this.fails.length + this.cuts.length + this.delays.length;
  }

  /** Internal: the failure to answer this request with, if any. */
  takeFail(method: string, relPath: string, fullPath: string): FailFault | undefined {
    return take(this.fails, method, relPath, fullPath);
  }

  /** Internal: the byte count after which to cut this response, if any. */
  takeCut(method: string, relPath: string, fullPath: string): CutFault | undefined {
    return take(this.cuts, method, relPath, fullPath);
  }

  /** Internal: the delay to apply to this request, if any. */
  takeDelay(method: string, relPath: string, fullPath: string): DelayFault | undefined {
    return take(this.delays, method, relPath, fullPath);
  }
}

function checkCount(name: string, count: number | undefined, after: number | undefined): void {
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
    throw new TypeError(`${name}: count must be a positive integer, got ${String(count)}.`);
  }
  if (after !== undefined && (!Number.isInteger(after) || after < 0)) {
    throw new TypeError(`${name}: after must be a non-negative integer, got ${String(after)}.`);
  }
}

function matches(fault: FaultMatch, method: string, relPath: string, fullPath: string): boolean {
  if (fault.method !== undefined && fault.method.toUpperCase() !== method) return false;
  if (fault.path === undefined) return true;
  if (typeof fault.path === 'string') return fault.path === relPath || fault.path === fullPath;
  fault.path.lastIndex = 0;
  if (fault.path.test(relPath)) return true;
  fault.path.lastIndex = 0;
  return fault.path.test(fullPath);
}

function take<T extends FaultMatch>(
  list: Pending<T>[],
  method: string,
  relPath: string,
  fullPath: string,
): T | undefined {
  for (let i = 0; i < list.length; i++) {
    const entry = list[i] as Pending<T>;
    if (!matches(entry.fault, method, relPath, fullPath)) continue;
    if (entry.skip > 0) {
      entry.skip--;
      continue;
    }
    entry.remaining--;
    if (entry.remaining <= 0) list.splice(i, 1);
    return entry.fault;
  }
  return undefined;
}
