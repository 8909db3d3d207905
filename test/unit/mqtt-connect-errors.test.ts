// The plain-words reasons for connection failures the integration test cannot provoke on a
// loopback Mosquitto (expired certificates, a wrong host name, DNS): what the libraries say, mapped.
import { describe, expect, it } from 'vitest';
import { explainConnectError } from '../../electron/engine/sources/mqtt/connect-errors';
import { MqttOptions } from '../../shared/schemas';

const options = (o: Record<string, unknown>) => MqttOptions.parse({ url: 'mqtts://broker.site:8883', ...o });
const failure = (message: string, code?: string | number, reason?: string) =>
  Object.assign(new Error(message), { code, ...(reason ? { reason } : {}) });

describe('explainConnectError', () => {
  it.each([
    [
      failure('certificate has expired', 'CERT_HAS_EXPIRED'),
      {},
      "the broker's certificate has expired (or this machine's clock is wrong)",
    ],
    [
      failure('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'),
      {},
      "the broker's certificate is not signed by a CA this machine trusts: set tls.caFile to the site's CA",
    ],
    [
      failure(
        "Hostname/IP does not match certificate's altnames: Host: broker.site. is not in the cert's altnames: DNS:localhost",
        'ERR_TLS_CERT_ALTNAME_INVALID',
        "Host: broker.site. is not in the cert's altnames: DNS:localhost",
      ),
      {},
      "the broker's certificate is not made out to broker.site (it names DNS:localhost): connect by a name it lists, or set tls.servername",
    ],
    [
      failure(
        '80:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 48\n',
        'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
        'tlsv1 alert unknown ca',
      ),
      { tls: { certFile: '/c.pem', keyFile: '/k.pem' } },
      "the broker does not trust the client certificate in tls.certFile: it must be signed by a CA the broker's cafile holds",
    ],
    [
      failure('error:1C800064:Provider routines::bad decrypt', 'ERR_OSSL_BAD_DECRYPT', 'bad decrypt'),
      { tls: { certFile: '/c.pem', keyFile: '/k.pem' } },
      'tls.keyFile is encrypted: set tls.keyPassphrase',
    ],
    [
      failure('Connection refused: Not authorized', 5),
      {},
      'the broker requires a user name and password: set username and password',
    ],
    [
      failure('Connection refused: Bad User Name or Password', 134),
      { username: 'tech' },
      'the broker refused user name "tech" without a password: set password',
    ],
    [
      failure('Connection refused: Unsupported Protocol Version', 132),
      {},
      'the broker does not accept MQTT 5: set protocolVersion to 4 (MQTT 3.1.1)',
    ],
    [
      failure('connect ECONNREFUSED 10.0.0.5:8883', 'ECONNREFUSED'),
      {},
      'nothing accepts connections at broker.site:8883: is the broker running, and is the port in url right?',
    ],
    [
      failure('getaddrinfo ENOTFOUND broker.site', 'ENOTFOUND'),
      {},
      'the host broker.site in url is not found (DNS)',
    ],
    [
      failure('read ECONNRESET', 'ECONNRESET'),
      {},
      'the broker at broker.site:8883 closed the connection during the handshake: does this port serve TLS (mqtts://)?',
    ],
    [
      failure(
        '00:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/x.c:354:\n',
        'ERR_SSL_WRONG_VERSION_NUMBER',
        'wrong version number',
      ),
      {},
      'TLS: wrong version number',
    ],
  ])('%s', (error, o, message) => {
    const explained = explainConnectError(error, options(o));
    expect(explained.message).toBe(message);
    expect(explained.message).not.toContain('\n');
    expect(explained.detail).toContain(error.message.trim());
  });

  it('a reset after the connection had worked is not blamed on the port', () => {
    expect(explainConnectError(failure('read ECONNRESET', 'ECONNRESET'), options({}), true).message).toBe(
      'read ECONNRESET',
    );
  });
});
