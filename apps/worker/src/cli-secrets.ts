import { SecretRegistry } from '@girder-worker/transforms';

/** Environment variables whose values are secrets: masked wherever they would be printed. */
const SECRET_ENVIRONMENT: readonly string[] = ['GIRDER_TOKEN', 'GIRDER_API_KEY'];

/**
 * Every secret the CLI process knows: the secret environment variables, and what commands add
 * (the password of `--redis`). Whatever the CLI prints or hands to the queue is masked with it.
 */
export const cliSecrets: SecretRegistry = new SecretRegistry();
for (const name of SECRET_ENVIRONMENT) cliSecrets.add(process.env[name]);
