import { GirderWorkerError, hasErrorIdentity } from '@girder-worker/transforms';

/**
 * Base class of the broker-side errors of `@girder-worker/celery` (a `GirderWorkerError`, code
 * `GW_CELERY_BROKER`); its subclasses carry codes of their own.
 */
export class CeleryBrokerError extends GirderWorkerError {
  override readonly name: string = 'CeleryBrokerError';
  /**
   * @param message - what failed, on what (URLs with their secrets masked), and what to do
   * @param options - `cause` when wrapping
   */
  constructor(message?: string, options?: ErrorOptions) {
    super('GW_CELERY_BROKER', message ?? '', options);
  }
}

/** A broker or backend URL that cannot be used; thrown before anything connects. */
export class InvalidBrokerUrlError extends CeleryBrokerError {
  override readonly name: 'InvalidBrokerUrlError' = 'InvalidBrokerUrlError' as const;
  /** Stable code. */
  override readonly code: 'GW_CELERY_INVALID_BROKER_URL' = 'GW_CELERY_INVALID_BROKER_URL' as const;
}

/** A message taken from a queue that is not a readable Celery message (names the field). */
export class MalformedMessageError extends CeleryBrokerError {
  override readonly name: 'MalformedMessageError' = 'MalformedMessageError' as const;
  /** Stable code. */
  override readonly code: 'GW_CELERY_MALFORMED_MESSAGE' = 'GW_CELERY_MALFORMED_MESSAGE' as const;
}

/** The broker connection failed or was lost. */
export class BrokerConnectionError extends CeleryBrokerError {
  override readonly name: 'BrokerConnectionError' = 'BrokerConnectionError' as const;
  /** Stable code. */
  override readonly code: 'GW_CELERY_BROKER_CONNECTION' = 'GW_CELERY_BROKER_CONNECTION' as const;
}

/** The name and code of each member of the {@link CeleryBrokerError} family. */
const BROKER_FAMILY: readonly (readonly [name: string, code: string])[] = [
  ['CeleryBrokerError', 'GW_CELERY_BROKER'],
  ['InvalidBrokerUrlError', 'GW_CELERY_INVALID_BROKER_URL'],
  ['MalformedMessageError', 'GW_CELERY_MALFORMED_MESSAGE'],
  ['BrokerConnectionError', 'GW_CELERY_BROKER_CONNECTION'],
];

/**
 * True for a {@link CeleryBrokerError} or one of its subclasses, also from another copy of this
 * package (an older one too: the names have not changed).
 */
export function isCeleryBrokerError(value: unknown): value is CeleryBrokerError {
  return BROKER_FAMILY.some(([name, code]) => hasErrorIdentity(value, name, code));
}

/** True for an {@link InvalidBrokerUrlError}, also from another copy of this package. */
export function isInvalidBrokerUrlError(value: unknown): value is InvalidBrokerUrlError {
  return hasErrorIdentity(value, 'InvalidBrokerUrlError', 'GW_CELERY_INVALID_BROKER_URL');
}

/** True for a {@link MalformedMessageError}, also from another copy of this package. */
export function isMalformedMessageError(value: unknown): value is MalformedMessageError {
  return hasErrorIdentity(value, 'MalformedMessageError', 'GW_CELERY_MALFORMED_MESSAGE');
}

/** True for a {@link BrokerConnectionError}, also from another copy of this package. */
export function isBrokerConnectionError(value: unknown): value is BrokerConnectionError {
  return hasErrorIdentity(value, 'BrokerConnectionError', 'GW_CELERY_BROKER_CONNECTION');
}
