// Line input over stdin shared by interactive mode and password prompts: one reader, so a test
// can pipe "login ..." and then the password on the next line. On a terminal, secrets are read in
// raw mode without echo. Never echoes or logs what it reads in secret mode.

import { CliError } from './output.js';

export interface InputStream {
  isTTY?: boolean;
  setRawMode?: (raw: boolean) => unknown;
  setEncoding(enc: BufferEncoding): unknown;
  on(ev: 'data', fn: (chunk: string | Buffer) => void): unknown;
  on(ev: 'end', fn: () => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

interface SecretState {
  acc: string;
  resolve: (s: string) => void;
  reject: (e: Error) => void;
}

export class LineInput {
  private buf = '';
  private readonly lines: string[] = [];
  private ended = false;
  private started = false;
  private readonly waiters: Array<(l: string | null) => void> = [];
  private secret: SecretState | null = null;

  constructor(private readonly stream: InputStream) {}

  get isTTY(): boolean {
    return this.stream.isTTY === true;
  }

  /** The next line without its newline, or null at end of input. */
  nextLine(): Promise<string | null> {
    this.start();
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.ended) return Promise.resolve(null);
    this.stream.resume();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Reads a secret: without echo on a terminal, else the next line. */
  async readSecret(): Promise<string> {
    if (!this.isTTY || !this.stream.setRawMode) {
      const l = await this.nextLine();
      if (l === null) throw new CliError('no password given (end of input)');
      return l;
    }
    this.start();
    this.stream.setRawMode(true);
    this.stream.resume();
    try {
      return await new Promise<string>((resolve, reject) => {
        this.secret = { acc: '', resolve, reject };
      });
    } finally {
      this.secret = null;
      this.stream.setRawMode(false);
    }
  }

  /** Stops reading so the process may exit. */
  close(): void {
    this.stream.pause();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.stream.setEncoding('utf8');
    this.stream.on('data', (c) => this.push(typeof c === 'string' ? c : c.toString('utf8')));
    this.stream.on('end', () => {
      this.ended = true;
      if (this.buf.length) {
        this.lines.push(this.buf);
        this.buf = '';
      }
      this.secret?.reject(new CliError('no password given (end of input)'));
      this.drain();
      for (const w of this.waiters.splice(0)) w(null);
    });
  }

  private push(chunk: string): void {
    let rest = chunk;
    while (this.secret && rest.length) {
      const ch = rest[0]!;
      rest = rest.slice(1);
      if (ch === '\r' || ch === '\n') {
        this.secret.resolve(this.secret.acc);
        this.secret = null;
      } else if (ch === '\u0003' || ch === '\u0004') {
        this.secret.reject(new CliError('password entry cancelled'));
        this.secret = null;
      } else if (ch === '\u007f' || ch === '\b') {
        this.secret.acc = this.secret.acc.slice(0, -1);
      } else {
        this.secret.acc += ch;
      }
    }
    this.buf += rest;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      this.lines.push(this.buf.slice(0, nl).replace(/\r$/, ''));
      this.buf = this.buf.slice(nl + 1);
    }
    this.drain();
  }

  private drain(): void {
    while (this.waiters.length && this.lines.length) this.waiters.shift()!(this.lines.shift()!);
    if (!this.waiters.length && !this.secret) this.stream.pause();
  }
}
