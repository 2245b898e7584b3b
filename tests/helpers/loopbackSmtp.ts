import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on loopback that keeps what it receives (alerts in the paper rehearsal tests). */
export interface LoopbackSmtp {
  readonly port: number;
  readonly user: string;
  readonly pass: string;
  /** Raw messages in arrival order. */
  readonly messages: string[];
  /** Subjects of the messages received so far. */
  subjects(): string[];
  close(): Promise<void>;
}

export async function startLoopbackSmtp(user = 'alerts@example.com', pass = 'FAKE-smtp-pass-7373'): Promise<LoopbackSmtp> {
  const messages: string[] = [];
  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === pass) cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, _session, cb) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      stream.on('end', () => {
        messages.push(raw);
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    user,
    pass,
    messages,
    // Long headers are folded onto continuation lines (RFC 5322): unfold before reading the subject.
    subjects: () => messages.map((m) => /^Subject: (.*)$/m.exec(m.replace(/\r?\n[ \t]+/g, ' '))?.[1]?.trim() ?? ''),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
