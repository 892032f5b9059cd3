// A very small stand-in for the browser's DOM, enough to run the console's page script in Node:
// the elements with an id come from the real index.html, nodes build trees of text, and anything
// that would parse HTML (innerHTML, outerHTML, insertAdjacentHTML, document.write) throws, so a
// test run also proves the script never writes data as HTML. Not a browser: no layout, no CSS.

type Listener = (ev: { type: string; preventDefault(): void }) => void;

export class FakeText {
  constructor(public data: string) {}
  get textContent(): string {
    return this.data;
  }
}

export class FakeElement {
  readonly childNodes: Array<FakeElement | FakeText> = [];
  readonly attributes = new Map<string, string>();
  readonly listeners = new Map<string, Listener[]>();
  className = '';
  hidden = false;
  value = '';
  focused = false;

  constructor(readonly tagName: string, readonly namespaceURI = 'http://www.w3.org/1999/xhtml') {}

  get textContent(): string {
    return this.childNodes.map((c) => c.textContent).join('');
  }
  set textContent(v: string) {
    this.childNodes.length = 0;
    if (v !== '') this.childNodes.push(new FakeText(String(v)));
  }
  set innerHTML(_v: string) {
    throw new Error('innerHTML used');
  }
  set outerHTML(_v: string) {
    throw new Error('outerHTML used');
  }
  insertAdjacentHTML(): void {
    throw new Error('insertAdjacentHTML used');
  }
  setAttribute(name: string, value: string): void {
    if (/^on/i.test(name)) throw new Error(`event handler attribute ${name} set`);
    this.attributes.set(name, String(value));
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  append(...nodes: Array<FakeElement | FakeText | string>): void {
    for (const n of nodes) this.childNodes.push(typeof n === 'string' ? new FakeText(n) : n);
  }
  replaceChildren(...nodes: Array<FakeElement | FakeText | string>): void {
    this.childNodes.length = 0;
    this.append(...nodes);
  }
  addEventListener(type: string, fn: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  dispatch(type: string): void {
    for (const fn of this.listeners.get(type) ?? []) fn({ type, preventDefault() {} });
  }
  focus(): void {
    this.focused = true;
  }
  /** Every element below this one (depth first), this one included. */
  *walk(): Generator<FakeElement> {
    yield this;
    for (const c of this.childNodes) if (c instanceof FakeElement) yield* c.walk();
  }
}

export class FakeDocument {
  readonly byId = new Map<string, FakeElement>();

  /** The elements of `html` that carry an id, with their tag and `hidden` attribute. */
  constructor(html: string) {
    for (const m of html.matchAll(/<([a-z0-9]+)\b([^>]*)\bid="([^"]+)"([^>]*)>/g)) {
      const e = new FakeElement(m[1]!.toUpperCase());
      e.hidden = /\bhidden\b/.test(m[2]! + m[4]!);
      this.byId.set(m[3]!, e);
    }
  }
  getElementById(id: string): FakeElement | null {
    return this.byId.get(id) ?? null;
  }
  createElement(tag: string): FakeElement {
    return new FakeElement(tag.toUpperCase());
  }
  createElementNS(ns: string, tag: string): FakeElement {
    return new FakeElement(tag, ns);
  }
  createTextNode(text: string): FakeText {
    return new FakeText(text);
  }
  write(): void {
    throw new Error('document.write used');
  }
}
