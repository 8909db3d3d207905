// Why an MQTT connection failed, in one line that names the source option to fix and how. Node and
// mqtt.js report OpenSSL's own text ("…:ssl3_read_bytes:tlsv13 alert certificate required:
// ../deps/openssl/…/rec_layer_s3.c:1601:SSL alert number 116\n"), "bad decrypt", or a bare CONNACK
// code; a plant engineer needs "the broker requires a client certificate: set tls.certFile and
// tls.keyFile". The raw text is kept as the detail: the console shows it behind "details", and the
// notices log it once per distinct failure.
import crypto from 'node:crypto';
import type { MqttOptions } from '../../../../shared/schemas';
import type { SourceContext } from '../source';

export interface ExplainedError {
  /** One line: what is wrong and which field to change. */
  message: string;
  /** What the library said, code included, for the details toggle and the log. */
  detail: string;
}

/** An error whose message is already plain, with the library's text kept as `detail`. */
export class ConnectError extends Error {
  constructor(
    message: string,
    readonly detail: string,
  ) {
    super(message);
  }
}

type LibraryError = Error & { code?: string | number; reason?: string };

/** The library's text with its code, trimmed: OpenSSL ends its messages with a newline. */
function rawText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const e = error as LibraryError;
  const message = (e.message || 'connection failed').trim();
  return e.code !== undefined && !message.includes(String(e.code)) ? `${message} (${e.code})` : message;
}

/** Verification failures meaning "this certificate does not chain to a CA we were given". */
const UNTRUSTED_SERVER = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);

/** MQTT 3.1.1 CONNACK return codes and their MQTT 5 reason codes, by what the user must change. */
const REFUSED_LOGIN = new Set([4, 5, 134, 135]);
const REFUSED_PROTOCOL = new Set([1, 132]);
const REFUSED_CLIENT_ID = new Set([2, 133]);
const REFUSED_UNAVAILABLE = new Set([3, 136, 137]);

function hostOf(url: string): { host: string; port: string } {
  try {
    const u = new URL(url);
    return { host: u.hostname, port: u.port };
  } catch {
    return { host: url, port: '' };
  }
}

/**
 * The plain-words reason for a failed (or lost) connection. `everConnected` tells a reset during
 * the first handshake (often TLS against a plain port, or the reverse) from one later on.
 */
export function explainConnectError(
  error: unknown,
  options: MqttOptions,
  everConnected = false,
): ExplainedError {
  const detail = rawText(error);
  const plain = (message: string): ExplainedError => ({ message, detail });
  if (error instanceof ConnectError) return { message: error.message, detail: error.detail };
  const e = (error instanceof Error ? error : new Error(String(error))) as LibraryError;
  const code = e.code;
  const reason = (typeof e.reason === 'string' ? e.reason : e.message || '').toLowerCase();
  const tls = options.tls;
  const secure = /^(mqtts|wss):/.test(options.url);
  const { host, port } = hostOf(options.url);

  if (typeof code === 'number') {
    if (REFUSED_LOGIN.has(code)) {
      if (options.username === undefined)
        return plain('the broker requires a user name and password: set username and password');
      if (options.password === undefined)
        return plain(`the broker refused user name "${options.username}" without a password: set password`);
      return plain(
        `user name or password refused: check username ("${options.username}") and the secret named in password ("${options.password}")`,
      );
    }
    if (REFUSED_PROTOCOL.has(code))
      return plain(
        `the broker does not accept MQTT ${options.protocolVersion === 5 ? '5' : '3.1.1'}: set protocolVersion to ${options.protocolVersion === 5 ? '4 (MQTT 3.1.1)' : '5'}`,
      );
    if (REFUSED_CLIENT_ID.has(code))
      return plain(
        `the broker refused the client id${options.clientId ? ` "${options.clientId}"` : ''}: set clientId to one it accepts`,
      );
    if (REFUSED_UNAVAILABLE.has(code))
      return plain('the broker says it is unavailable or busy: it is retried with backoff');
  }

  // The broker's certificate, as this machine checks it.
  if (typeof code === 'string' && UNTRUSTED_SERVER.has(code))
    return plain(
      tls?.caFile
        ? "the broker's certificate is not signed by the CA in tls.caFile"
        : "the broker's certificate is not signed by a CA this machine trusts: set tls.caFile to the site's CA",
    );
  if (code === 'CERT_HAS_EXPIRED')
    return plain("the broker's certificate has expired (or this machine's clock is wrong)");
  if (code === 'CERT_NOT_YET_VALID')
    return plain("the broker's certificate is not valid yet (or this machine's clock is wrong)");
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = /altnames:\s*(.+)$/i.exec(e.reason ?? e.message)?.[1]?.trim();
    const name = tls?.servername ?? host;
    return plain(
      `the broker's certificate is not made out to ${name}${names ? ` (it names ${names})` : ''}: connect by a name it lists, or set tls.servername`,
    );
  }

  // What the broker says of our client certificate (TLS alerts).
  if (
    reason.includes('alert certificate required') ||
    (!tls?.certFile && reason.includes('alert handshake failure'))
  )
    return plain(
      tls?.certFile
        ? 'the broker requires a client certificate and did not get one: check tls.certFile and tls.keyFile'
        : 'the broker requires a client certificate: set tls.certFile and tls.keyFile',
    );
  if (reason.includes('alert unknown ca'))
    return plain(
      "the broker does not trust the client certificate in tls.certFile: it must be signed by a CA the broker's cafile holds",
    );
  if (reason.includes('alert certificate expired'))
    return plain('the broker says the client certificate in tls.certFile has expired');
  if (reason.includes('alert certificate revoked'))
    return plain('the broker says the client certificate in tls.certFile is revoked');
  if (reason.includes('alert bad certificate') || reason.includes('alert unsupported certificate'))
    return plain('the broker refused the client certificate in tls.certFile');

  // Our own key and certificate files.
  if (code === 'ERR_OSSL_BAD_DECRYPT' || reason.includes('bad decrypt'))
    return plain(
      tls?.keyPassphrase
        ? 'tls.keyPassphrase does not decrypt tls.keyFile'
        : 'tls.keyFile is encrypted: set tls.keyPassphrase',
    );
  if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH' || reason.includes('key values mismatch'))
    return plain('tls.keyFile is not the key of the certificate in tls.certFile');
  if (code === 'ERR_OSSL_PEM_NO_START_LINE' || reason.includes('no start line'))
    return plain('a file named in tls (caFile, certFile or keyFile) is not PEM');

  // The network.
  const where = `${host}${port ? `:${port}` : ''}`;
  if (code === 'ECONNREFUSED')
    return plain(
      `nothing accepts connections at ${where}: is the broker running, and is the port in url right?`,
    );
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return plain(`the host ${host} in url is not found (DNS)`);
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return plain(`${where} cannot be reached: check url and the network`);
  if (code === 'ECONNRESET' && !everConnected)
    return plain(
      secure
        ? `the broker at ${where} closed the connection during the handshake: does this port serve TLS (mqtts://)?`
        : `the broker at ${where} closed the connection: if this port serves TLS, use mqtts://`,
    );

  // Anything else: OpenSSL's reason without its error-queue prefix and source path, or the message.
  if (typeof e.reason === 'string' && e.reason) return plain(`TLS: ${e.reason}`);
  return plain(firstLine(e.message) || 'connection failed');
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}

/**
 * Checks the client key before connecting, so a wrong passphrase or a key that does not belong to
 * the certificate is named by its field rather than found inside a TLS handshake.
 */
export function checkClientKey(
  options: MqttOptions,
  key: Buffer,
  cert: Buffer | undefined,
  passphrase: string | undefined,
): void {
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey(passphrase === undefined ? { key } : { key, passphrase });
  } catch (error) {
    throw new ConnectError(explainConnectError(error, options).message, rawText(error));
  }
  if (!cert) return;
  let matches: boolean;
  try {
    matches = new crypto.X509Certificate(cert).checkPrivateKey(privateKey);
  } catch {
    return; // not a certificate Node can read: the handshake will say what is wrong with it
  }
  if (!matches)
    throw new ConnectError(
      'tls.keyFile is not the key of the certificate in tls.certFile',
      'X509Certificate.checkPrivateKey: false',
    );
}

/**
 * Tells the source's status why the connection failed, in plain words with the detail, and logs
 * each distinct failure once as a notice (a broker that stays down would otherwise log one per
 * retry).
 */
export class ConnectErrorReporter {
  private lastLogged: string | null = null;
  everConnected = false;

  constructor(
    private readonly ctx: SourceContext,
    private readonly options: () => MqttOptions,
  ) {}

  report(state: 'connected' | 'reconnecting', error: unknown): void {
    const { message, detail } = explainConnectError(error, this.options(), this.everConnected);
    this.ctx.setState(state, message, detail);
    if (message === this.lastLogged) return;
    this.lastLogged = message;
    this.ctx.notice('warn', `source ${this.ctx.sourceId}: ${message} (${detail})`);
  }

  connected(): void {
    this.everConnected = true;
    this.lastLogged = null;
  }
}
