import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';

/**
 * Intuit's v3 XSDs (shared/fixtures/providers/quickbooks-online) read into the field names of each
 * complexType, so a test can check that a JSON body or answer uses only fields QuickBooks defines. The
 * JSON form of the API names fields after the XSD's elements and attributes; a simpleContent type
 * (ReferenceType) carries its text as `value`.
 */
export interface XsdModel {
  types: Map<string, XsdType>;
  /** Members of the `IntuitObject` substitution group (Customer, Invoice, …): the entity roots. */
  entities: Map<string, string>;
  /** Fields of `value` not defined by `type` (paths), empty when it conforms. */
  problems(type: string, value: unknown, path?: string): string[];
}

interface XsdType {
  fields: Map<string, string | undefined>;
  /** Types it extends, looked up when a field is not its own. */
  bases: string[];
  /** The `IntuitObject` ref: any entity root is a field. */
  anyEntity: boolean;
  simpleContent: boolean;
}

type Node = Record<string, unknown>;
const FOLDER = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'providers', 'quickbooks-online');
const FILES = ['IntuitBaseTypes.xsd', 'IntuitNamesTypes.xsd', 'Finance.xsd', 'IntuitRestServiceDef.xsd', 'Report.xsd'];
const strip = (name: string | undefined): string | undefined => name?.replace(/^\w+:/, '');
const list = (node: Node | undefined, tag: string): Node[] => (node?.[tag] as Node[] | undefined) ?? [];

function collect(node: Node, into: XsdType): void {
  for (const element of list(node, 'xs:element')) {
    if (element['ref'] === 'IntuitObject') into.anyEntity = true;
    else if (typeof element['name'] === 'string') into.fields.set(element['name'], strip(element['type'] as string | undefined));
    else if (typeof element['ref'] === 'string') into.fields.set(element['ref'], strip(element['ref']));
  }
  for (const attribute of list(node, 'xs:attribute')) if (typeof attribute['name'] === 'string') into.fields.set(attribute['name'], strip(attribute['type'] as string | undefined));
  for (const tag of ['xs:sequence', 'xs:choice', 'xs:all', 'xs:complexContent']) for (const inner of list(node, tag)) collect(inner, into);
  for (const extension of [...list(node, 'xs:extension'), ...list(node, 'xs:restriction')]) {
    const base = strip(extension['base'] as string | undefined);
    if (base) into.bases.push(base);
    collect(extension, into);
  }
  for (const simple of list(node, 'xs:simpleContent')) {
    into.simpleContent = true;
    collect(simple, into);
  }
}

export function loadXsd(): XsdModel {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name.startsWith('xs:') });
  const types = new Map<string, XsdType>();
  const entities = new Map<string, string>();
  for (const file of FILES) {
    const schema = (parser.parse(readFileSync(join(FOLDER, file), 'utf8')) as Node)['xs:schema'] as Node[];
    for (const root of schema) {
      for (const complex of list(root, 'xs:complexType')) {
        const type: XsdType = { fields: new Map(), bases: [], anyEntity: false, simpleContent: false };
        collect(complex, type);
        types.set(complex['name'] as string, type);
      }
      for (const element of list(root, 'xs:element')) if (element['substitutionGroup'] === 'IntuitObject') entities.set(element['name'] as string, strip(element['type'] as string) ?? '');
    }
  }

  function field(typeName: string, name: string, seen = new Set<string>()): { found: boolean; type?: string | undefined } {
    const type = types.get(typeName);
    if (!type || seen.has(typeName)) return { found: false };
    seen.add(typeName);
    if (type.fields.has(name)) return { found: true, type: type.fields.get(name) };
    if (type.anyEntity && entities.has(name)) return { found: true, type: entities.get(name) };
    if (type.simpleContent && name === 'value') return { found: true };
    for (const base of type.bases) {
      const inherited = field(base, name, seen);
      if (inherited.found) return inherited;
    }
    return { found: false };
  }

  function problems(typeName: string, value: unknown, path = typeName): string[] {
    if (Array.isArray(value)) return value.flatMap((v, i) => problems(typeName, v, `${path}[${i}]`));
    if (value === null || typeof value !== 'object' || !types.has(typeName)) return [];
    return Object.entries(value as Node).flatMap(([name, inner]) => {
      const found = field(typeName, name);
      if (!found.found) return [`${path}.${name} is not a field of ${typeName}`];
      return found.type ? problems(found.type, inner, `${path}.${name}`) : [];
    });
  }

  return { types, entities, problems };
}
