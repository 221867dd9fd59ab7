/** A field-table value in amqplib's typed notation. */
type Typed = { '!': string; value: unknown };

/**
 * Converts JSON headers to the AMQP field table py-amqp writes for them, in amqplib's notation:
 * integers as signed 32-bit `I` (64-bit `l` beyond), other numbers as double `d`, strings as
 * long strings `S`, `null` as void `V`, booleans `t`, arrays `A`, objects `F`. (amqplib alone
 * would write small integers as a byte `b`.)
 */
export function toAmqpTable(headers: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const table: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) table[key] = toAmqpValue(value);
  }
  return table;
}

function toAmqpValue(value: unknown): unknown {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return { '!': 'double', value } satisfies Typed;
    const fits = value >= -0x80000000 && value <= 0x7fffffff;
    return { '!': fits ? 'int' : 'long', value } satisfies Typed;
  }
  if (Array.isArray(value)) return value.map(toAmqpValue);
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return toAmqpTable(value as Record<string, unknown>);
  }
  return value;
}

/**
 * Turns a decoded AMQP field table back into plain JSON values: amqplib keeps typed values it
 * cannot map (`T` timestamps, `D` decimals) as `{'!': type, value}`; timestamps become seconds,
 * byte arrays become UTF-8 strings.
 */
export function fromAmqpTable(table: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(table ?? {})) out[key] = fromAmqpValue(value);
  return out;
}

function fromAmqpValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) return value.map(fromAmqpValue);
  if (value !== null && typeof value === 'object') {
    const typed = value as Partial<Typed>;
    if (typeof typed['!'] === 'string' && 'value' in typed) {
      if (typed['!'] === 'decimal') {
        const { places, digits } = typed.value as { places: number; digits: number };
        return digits / 10 ** places;
      }
      return typed.value;
    }
    return fromAmqpTable(value as Record<string, unknown>);
  }
  return value;
}
