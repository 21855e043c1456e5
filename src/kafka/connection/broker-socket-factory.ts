import type { ISocketFactory } from 'kafkajs';
import { isIP, connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/** TCP keep-alive probe delay on broker connections, as kafkajs's own sockets use. */
const KEEP_ALIVE_DELAY_MS = 60_000;

/**
 * Opens broker connections that must be answered: the connection is destroyed, with an error
 * naming the broker, unless the broker's first bytes arrive within `timeoutMs` of opening it.
 *
 * kafkajs bounds the TCP (and TLS) connect by `connectionTimeout`, but a broker that accepts the
 * connection and never answers is only noticed by the request timeout of its first request
 * (`ApiVersions`); kafkajs then counts the connection as open, and every later request fails with
 * "Broker not connected" and no address. Dropping the silent connection here turns that into a
 * connection error, which kafkajs retries on the next bootstrap broker and, when every attempt
 * fails, reports as a connection failure (`BROKER_UNREACHABLE`). librdkafka does the same with its
 * `ApiVersionRequest` timeout. A connection that has answered once is never timed out here: later
 * requests are bounded by kafkajs's `requestTimeout`.
 *
 * @param timeoutMs - the time from opening the socket to the broker's first answer (`connectionTimeout`)
 * @returns a kafkajs socket factory
 */
export function brokerSocketFactory(timeoutMs: number): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const address = `${host}:${port}`;
    let open = false;
    const opened = () => {
      open = true;
      onConnect();
    };
    // As kafkajs's default factory: `ssl` is Node TLS options, or `true` for the defaults.
    const socket: Socket = ssl
      ? connectTls({ host, port, ...(isIP(host) ? {} : { servername: host }), ...(typeof ssl === 'object' ? ssl : {}) }, opened)
      : connectTcp({ host, port }, opened);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    const timer = setTimeout(() => {
      // Ended or closed by kafkajs (its own connect timeout, a disconnect): nothing to report.
      if (socket.destroyed || socket.writableEnded) return;
      const stage = open
        ? `${address} accepted the connection but did not answer`
        : ssl && !socket.connecting
          ? `no TLS handshake with ${address}`
          : `no connection to ${address}`;
      socket.destroy(Object.assign(new Error(`${stage} within ${timeoutMs} ms (connectionTimeout)`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    timer.unref();
    const answered = () => clearTimeout(timer);
    socket.once('data', answered);
    socket.once('close', answered);
    return socket;
  };
}
