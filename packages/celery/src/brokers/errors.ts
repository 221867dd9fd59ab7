/** Base class of the broker-side errors of `@girder-worker/celery`. */
export class CeleryBrokerError extends Error {
  override readonly name: string = 'CeleryBrokerError';
  /** Stable code. */
  readonly code: string = 'CELERY_BROKER';
}

/** A broker or backend URL that cannot be used; thrown before anything connects. */
export class InvalidBrokerUrlError extends CeleryBrokerError {
  override readonly name: 'InvalidBrokerUrlError' = 'InvalidBrokerUrlError' as const;
  override readonly code: 'INVALID_BROKER_URL' = 'INVALID_BROKER_URL' as const;
}

/** A message taken from a queue that is not a readable Celery message (names the field). */
export class MalformedMessageError extends CeleryBrokerError {
  override readonly name: 'MalformedMessageError' = 'MalformedMessageError' as const;
  override readonly code: 'MALFORMED_MESSAGE' = 'MALFORMED_MESSAGE' as const;
}

/** The broker connection failed or was lost. */
export class BrokerConnectionError extends CeleryBrokerError {
  override readonly name: 'BrokerConnectionError' = 'BrokerConnectionError' as const;
  override readonly code: 'BROKER_CONNECTION' = 'BROKER_CONNECTION' as const;
}
