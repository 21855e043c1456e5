import type { ISocketFactory } from 'kafkajs';
import { isIP, connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/** TCP keep-alive probe delay on broker connections, as kafkajs's own sockets use. */
const KEEP_ALIVE_DELAY_MS = 60_000;

/** API keys of the requests that open a connection, which a live broker answers at once: SaslHandshake, ApiVersions, SaslAuthenticate. */
const HANDSHAKE_API_KEYS = new Set([17, 18, 36]);

/**
 * Opens broker connections that must be answered: a connection whose handshake gets no answer
 * within `timeoutMs` of opening the socket is destroyed with an error naming the broker.
 *
 * kafkajs bounds the TCP (and TLS) connect by `connectionTimeout`, but a broker that accepts the
 * connection and never answers is only noticed by the request timeout of its first request
 * (`ApiVersions`); kafkajs then counts the connection as open, and every later request fails with
 * "Broker not connected" and no address. Dropping the silent connection here turns that into a
 * connection error, which kafkajs retries on the next bootstrap broker and, when every attempt
 * fails, reports as a connection failure (`BROKER_UNREACHABLE`). librdkafka does the same with its
 * `ApiVersionRequest` timeout.
 *
 * Only a handshake is timed (`ApiVersions`, the SASL handshake): the first request on a
 * connection may also be a long poll a broker rightly holds (a `Fetch` waiting for data, a
 * `JoinGroup` waiting for the group), and those, like every request after the first answer, are
 * bounded by kafkajs's `requestTimeout` instead. The request kind is read from the Kafka request
 * header of the first write: a 4-byte size, then the 2-byte API key.
 *
 * @param timeoutMs - the time from opening the socket to the answer to its handshake (`connectionTimeout`)
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
    // The first request decides whether its answer is timed here (see above); later writes go straight through.
    const write = socket.write;
    socket.write = function firstWrite(this: Socket, ...args: Parameters<Socket['write']>): boolean {
      socket.write = write;
      if (!isHandshake(args[0])) answered();
      return write.apply(socket, args);
    } as Socket['write'];
    return socket;
  };
}

/** Whether `chunk` is a Kafka request that opens a connection (see {@link HANDSHAKE_API_KEYS}). */
function isHandshake(chunk: unknown): boolean {
  return Buffer.isBuffer(chunk) && chunk.length >= 6 && HANDSHAKE_API_KEYS.has(chunk.readInt16BE(4));
}
