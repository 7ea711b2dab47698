/** An XML element: name (with any prefix), attributes, child elements, and its own text. */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

/** The document is not well-formed XML (or uses what this reader does not: DTDs, CDATA). */
export class XmlSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = new.target.name;
  }
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string, offset: number): string {
  if (!text.includes('&')) return text;
  return text.replace(/&([^;&<]*);/g, (_, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const named = ENTITIES[ref];
    if (named === undefined) throw new XmlSyntaxError(`Unknown entity &${ref};`, offset);
    return named;
  });
}

const NAME = /[A-Za-z_][\w.:-]*/y;
const ATTRIBUTE = /\s*([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/y;

/**
 * A small strict reader for the XML Coinstile writes and reads back (bank files): elements,
 * attributes, text, the five entities and character references, comments and the XML declaration.
 * Refuses mismatched or unclosed tags, text outside the root, and DTDs. Not a general XML parser.
 */
export function parseXml(source: string): XmlElement {
  let pos = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (pos < source.length) {
    const lt = source.indexOf('<', pos);
    const text = source.slice(pos, lt === -1 ? source.length : lt);
    const top = stack[stack.length - 1];
    if (top) {
      if (text.length > 0) top.text += decode(text, pos);
    } else if (text.trim().length > 0) throw new XmlSyntaxError('Text outside the root element', pos);
    if (lt === -1) break;
    pos = lt;
    if (source.startsWith('<?', pos)) {
      const end = source.indexOf('?>', pos);
      if (end === -1) throw new XmlSyntaxError('Unclosed processing instruction', pos);
      pos = end + 2;
    } else if (source.startsWith('<!--', pos)) {
      const end = source.indexOf('-->', pos);
      if (end === -1) throw new XmlSyntaxError('Unclosed comment', pos);
      pos = end + 3;
    } else if (source.startsWith('<!', pos)) {
      throw new XmlSyntaxError('DTDs and CDATA sections are not accepted', pos);
    } else if (source.startsWith('</', pos)) {
      const end = source.indexOf('>', pos);
      const name = source.slice(pos + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw new XmlSyntaxError(`Closing </${name}> does not match <${open?.name ?? ''}>`, pos);
      pos = end + 1;
    } else {
      NAME.lastIndex = pos + 1;
      const nameMatch = NAME.exec(source);
      if (!nameMatch) throw new XmlSyntaxError('Malformed tag', pos);
      const name = nameMatch[0];
      let cursor = pos + 1 + name.length;
      const attributes: Record<string, string> = {};
      for (;;) {
        ATTRIBUTE.lastIndex = cursor;
        const attr = ATTRIBUTE.exec(source);
        if (!attr) break;
        const attrName = attr[1] as string;
        if (attrName in attributes) throw new XmlSyntaxError(`Duplicate attribute ${attrName}`, cursor);
        attributes[attrName] = decode(attr[3] ?? attr[4] ?? '', cursor);
        cursor = ATTRIBUTE.lastIndex;
      }
      while (cursor < source.length && ' \t\r\n'.includes(source[cursor] as string)) cursor++;
      const selfClosing = source.startsWith('/>', cursor);
      if (!selfClosing && source[cursor] !== '>') throw new XmlSyntaxError(`Malformed tag <${name}>`, cursor);
      const element: XmlElement = { name, attributes, children: [], text: '' };
      if (top) top.children.push(element);
      else if (root) throw new XmlSyntaxError('Second root element', pos);
      else root = element;
      if (!selfClosing) stack.push(element);
      pos = cursor + (selfClosing ? 2 : 1);
    }
  }
  if (stack.length > 0) throw new XmlSyntaxError(`Unclosed <${stack[stack.length - 1]?.name ?? ''}>`, pos);
  if (!root) throw new XmlSyntaxError('No root element', 0);
  return root;
}

/** The child elements named `name`. */
export const childrenNamed = (element: XmlElement, name: string): XmlElement[] => element.children.filter((c) => c.name === name);

/** The one child at `path` (e.g. `GrpHdr/MsgId`), or undefined. */
export function childAt(element: XmlElement, path: string): XmlElement | undefined {
  let current: XmlElement | undefined = element;
  for (const step of path.split('/')) {
    if (!current) return undefined;
    current = current.children.find((c) => c.name === step);
  }
  return current;
}
