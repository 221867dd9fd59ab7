import { type FieldReader, Transform, type TransformContext } from '../src/index.ts';

/** A transform that records what happens to it, for lifecycle tests. */
export class Probe extends Transform<string> {
  static readonly kind: string = 'Probe';
  readonly name: string;
  readonly events: string[];
  readonly failOn: 'transform' | 'cleanup' | undefined;

  constructor(name: string, events: string[], failOn?: 'transform' | 'cleanup') {
    super();
    this.name = name;
    this.events = events;
    this.failOn = failOn;
  }

  transform(ctx: TransformContext): string {
    this.events.push(`transform ${this.name} (${ctx.phase})`);
    if (this.failOn === 'transform') throw new Error(`${this.name} refused`);
    return `value of ${this.name}`;
  }

  override cleanup(): void {
    this.events.push(`cleanup ${this.name}`);
    if (this.failOn === 'cleanup') throw new Error(`${this.name} cleanup broke`);
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name };
  }

  static fromJSON(fields: FieldReader): Probe {
    return new Probe(fields.string('name'), []);
  }
}
