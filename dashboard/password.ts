import bcrypt from 'bcryptjs';

/*
 * Dashboard password hashing: bcrypt (bcryptjs, pure JavaScript, so installing needs no native build).
 * The hash goes into .env as PASSWORD_HASH; the password itself is never stored or logged.
 */

/** Cost 12: about a quarter of a second per check here, slow for guessing, fine for a login. */
export const BCRYPT_COST = 12;
export const MIN_PASSWORD_LENGTH = 10;
/** bcrypt reads at most 72 bytes; a longer password would be silently cut, so it is refused instead. */
export const MAX_PASSWORD_BYTES = 72;

const BCRYPT_RE = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

export function isBcryptHash(s: string): boolean {
  return BCRYPT_RE.test(s);
}

/** Why a password may not be used, or null when it is fine. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return `the password must be at most ${MAX_PASSWORD_BYTES} bytes (bcrypt ignores the rest)`;
  if (/[\r\n]/.test(password)) return 'the password must be one line';
  return null;
}

export async function hashPassword(password: string, cost = BCRYPT_COST): Promise<string> {
  const problem = passwordProblem(password);
  if (problem !== null) throw new Error(problem);
  return bcrypt.hash(password, cost);
}

// Compared against when the user name is wrong, so a wrong name costs the same time as a wrong
// password: one per cost, made on first use.
const dummyHashes = new Map<number, Promise<string>>();
function dummyHashLike(hash: string): Promise<string> {
  const cost = Number(/^\$2[aby]\$(\d\d)\$/.exec(hash)?.[1] ?? BCRYPT_COST);
  let d = dummyHashes.get(cost);
  if (d === undefined) {
    d = bcrypt.hash('not-a-real-password-used-for-timing', cost);
    dummyHashes.set(cost, d);
  }
  return d;
}

/** True when `user` and `password` match the configured login. Always spends one bcrypt comparison. */
/** Makes the comparison hash for wrong user names ahead of the first login (a start-up cost, not a login's). */
export async function prepareLogin(passwordHash: string): Promise<void> {
  await dummyHashLike(passwordHash);
}

export async function checkLogin(
  login: { readonly username: string; readonly passwordHash: string },
  user: string,
  password: string,
): Promise<boolean> {
  const userOk = user === login.username;
  const tooLong = Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES;
  const hashOk = await bcrypt.compare(password, userOk && !tooLong ? login.passwordHash : await dummyHashLike(login.passwordHash));
  return userOk && !tooLong && hashOk;
}
