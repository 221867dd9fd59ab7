import type { Logger } from '@girder-worker/transforms';
import type { MailboxReplyTo, MailboxRequest } from '../brokers/broker.ts';
import { runControlCommand } from './control-panel.ts';
import type { WorkerState } from './worker-state.ts';

/** Glob match as Python's `fnmatch` (for a request's `pattern` with matcher `glob`). */
function globMatch(name: string, pattern: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(name);
}

/** kombu's `Node.handle_message` filter: `destination` list, else `pattern` + `matcher`, else all. */
export function isForNode(body: Record<string, unknown>, nodeName: string): boolean {
  const { destination, pattern, matcher } = body;
  if (Array.isArray(destination) && destination.length > 0) return destination.includes(nodeName);
  if (typeof pattern === 'string' && pattern && typeof matcher === 'string' && matcher) {
    if (matcher === 'glob') return globMatch(nodeName, pattern);
    if (matcher === 'pcre') {
      try {
        return new RegExp(pattern).test(nodeName);
      } catch {
        return false;
      }
    }
    return false;
  }
  return true;
}

function replyTarget(value: unknown): MailboxReplyTo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { exchange, routing_key } = value as Record<string, unknown>;
  return typeof exchange === 'string' && typeof routing_key === 'string'
    ? { exchange, routing_key }
    : undefined;
}

/**
 * Listens on the `celery.pidbox` mailbox as `state.nodeName` and answers requests meant for it,
 * replying `{<nodeName>: reply}` to `reply_to` with the request's `ticket` when it asks for one.
 */
export async function startMailbox(state: WorkerState, logger: Logger): Promise<void> {
  const onRequest = (request: MailboxRequest): void => {
    const { body, headers } = request;
    state.clock.adjust(headers.clock);
    const expires = typeof headers.expires === 'number' ? headers.expires : 0;
    if (expires > 0 && Date.now() / 1000 > expires) return;
    if (!isForNode(body, state.nodeName)) return;
    const method = typeof body.method === 'string' ? body.method : '';
    const args =
      typeof body.arguments === 'object' && body.arguments !== null
        ? (body.arguments as Record<string, unknown>)
        : {};
    logger.debug('control command', { method, ticket: body.ticket });
    const reply = runControlCommand(state, method, args);
    const replyTo = replyTarget(body.reply_to);
    if (!replyTo || typeof body.ticket !== 'string') return;
    state.broker
      .replyMailbox(
        replyTo,
        { ticket: body.ticket, clock: state.clock.forward() },
        { [state.nodeName]: reply },
      )
      .catch((error: Error) =>
        logger.warn('could not send a control reply', { method, error: error.message }),
      );
  };
  await state.broker.listenMailbox(state.nodeName, onRequest);
}
