/**
 * A small JSON Schema (2020-12) checker for the subset that `z.toJSONSchema` and the
 * OpenAPI document use, so tests can hold real answers against the published document
 * without a validator package. A keyword it does not know is an error, not a silent pass:
 * a schema this checker cannot judge fails the test instead of passing it.
 */

export interface SchemaIssue {
  /** JSON pointer into the value. */
  at: string;
  message: string;
}

type Schema = boolean | Record<string, unknown>;

/** Keywords that only describe (never constrain) a value. */
const ANNOTATIONS = new Set([
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$comment',
  '$schema',
  '$id',
  'format',
  'contentMediaType',
  'contentEncoding',
  'x-codes',
]);

const KEYWORDS = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
]);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Resolves a local reference (`#/components/schemas/X`) in `root`. */
export function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) throw new Error(`only local references are supported: ${ref}`);
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function check(schema: Schema, value: unknown, at: string, root: unknown, out: SchemaIssue[]): void {
  if (schema === true) return;
  if (schema === false) {
    out.push({ at, message: 'no value is allowed here' });
    return;
  }
  for (const key of Object.keys(schema))
    if (!KEYWORDS.has(key) && !ANNOTATIONS.has(key) && !key.startsWith('x-'))
      throw new Error(`json-schema checker: unsupported keyword "${key}" at ${at || '/'}`);
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') {
    const target = resolvePointer(root, s.$ref);
    if (target === undefined) throw new Error(`unresolved $ref ${s.$ref}`);
    check(target as Schema, value, at, root, out);
  }
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => hasType(value, t))) {
      out.push({ at, message: `expected ${types.join(' or ')}, got ${typeOf(value)}` });
      return;
    }
  }
  if (s.enum !== undefined && !(s.enum as unknown[]).some((e) => equal(e, value)))
    out.push({ at, message: `expected one of ${JSON.stringify(s.enum)}, got ${JSON.stringify(value)}` });
  if ('const' in s && !equal(s.const, value))
    out.push({ at, message: `expected ${JSON.stringify(s.const)}, got ${JSON.stringify(value)}` });

  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof s.minLength === 'number' && length < s.minLength)
      out.push({ at, message: `shorter than ${s.minLength}` });
    if (typeof s.maxLength === 'number' && length > s.maxLength)
      out.push({ at, message: `longer than ${s.maxLength}` });
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value))
      out.push({ at, message: `${JSON.stringify(value)} does not match ${s.pattern}` });
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) out.push({ at, message: `below ${s.minimum}` });
    if (typeof s.maximum === 'number' && value > s.maximum) out.push({ at, message: `above ${s.maximum}` });
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum)
      out.push({ at, message: `not above ${s.exclusiveMinimum}` });
    if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum)
      out.push({ at, message: `not below ${s.exclusiveMaximum}` });
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems)
      out.push({ at, message: `fewer than ${s.minItems} items` });
    if (typeof s.maxItems === 'number' && value.length > s.maxItems)
      out.push({ at, message: `more than ${s.maxItems} items` });
    const prefix = (s.prefixItems ?? []) as Schema[];
    value.forEach((item, i) => {
      const itemSchema = i < prefix.length ? prefix[i] : (s.items as Schema | undefined);
      if (itemSchema !== undefined) check(itemSchema, item, `${at}/${i}`, root, out);
    });
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const properties = (s.properties ?? {}) as Record<string, Schema>;
    for (const name of (s.required ?? []) as string[])
      if (!(name in obj)) out.push({ at, message: `missing required property "${name}"` });
    for (const [name, v] of Object.entries(obj)) {
      const where = `${at}/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      if (s.propertyNames !== undefined) check(s.propertyNames as Schema, name, where, root, out);
      if (name in properties) check(properties[name]!, v, where, root, out);
      else if (s.additionalProperties !== undefined) {
        if (s.additionalProperties === false) out.push({ at: where, message: 'property not in the schema' });
        else check(s.additionalProperties as Schema, v, where, root, out);
      }
    }
  }
  if (Array.isArray(s.allOf)) for (const sub of s.allOf as Schema[]) check(sub, value, at, root, out);
  if (Array.isArray(s.anyOf)) {
    const branches = (s.anyOf as Schema[]).map((sub) => issuesOf(sub, value, at, root));
    if (!branches.some((b) => b.length === 0))
      out.push({ at, message: `matches no anyOf branch: ${branches.map((b) => b[0]?.message).join(' | ')}` });
  }
  if (Array.isArray(s.oneOf)) {
    const matching = (s.oneOf as Schema[]).filter(
      (sub) => issuesOf(sub, value, at, root).length === 0,
    ).length;
    if (matching !== 1) out.push({ at, message: `matches ${matching} oneOf branches, not exactly one` });
  }
  if (s.not !== undefined && issuesOf(s.not as Schema, value, at, root).length === 0)
    out.push({ at, message: 'matches a schema it must not' });
}

function issuesOf(schema: Schema, value: unknown, at: string, root: unknown): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  check(schema, value, at, root, out);
  return out;
}

/** Every way `value` fails `schema`; `$ref`s resolve against `root` (the OpenAPI document). */
export function validateJson(schema: unknown, value: unknown, root: unknown): SchemaIssue[] {
  return issuesOf(schema as Schema, value, '', root);
}
