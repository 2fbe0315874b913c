/**
 * The authoritative DNS side of the Cloudflare fake: answers queries for the fake's zones from the
 * records its API holds right now (UDP and TCP, one address and port), as Cloudflare's name servers
 * answer for a zone it hosts. An ACME server's DNS-01 check asks it. A CNAME at the name is
 * followed inside the fake's zones, as a resolver would, so delegated `_acme-challenge` names resolve.
 */
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server, type Socket as TcpSocket } from "node:net";
import * as dnsPacket from "dns-packet";
import type { FakeCloudflare } from "./server";
import type { FakeRecord } from "./model";

const NXDOMAIN = 3;
const REFUSED = 5;
const SERVED = new Set(["A", "AAAA", "CNAME", "TXT", "MX"]);

export interface DnsAddress {
  readonly host: string;
  readonly port: number;
}

type Answer = dnsPacket.Answer;

export class FakeCloudflareDns {
  /** Every question asked, as `TYPE name`, for tests that check what was looked up. */
  readonly queries: string[] = [];

  private constructor(private readonly api: FakeCloudflare, private readonly udp: Socket, private readonly tcp: Server, readonly address: DnsAddress) {}

  /** Listens on `host` (default 127.0.0.1), one free port for UDP and TCP both. */
  static async start(api: FakeCloudflare, host = "127.0.0.1"): Promise<FakeCloudflareDns> {
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket(host.includes(":") ? "udp6" : "udp4");
      await new Promise<void>((resolve, reject) => { udp.once("error", reject); udp.bind(0, host, () => resolve()); });
      const port = udp.address().port;
      const tcp = createServer();
      try {
        await new Promise<void>((resolve, reject) => { tcp.once("error", reject); tcp.listen(port, host, () => resolve()); });
      } catch (error) {
        udp.close();
        if (attempt < 5) continue; // the port UDP got is taken for TCP: another pair
        throw error;
      }
      const dns = new FakeCloudflareDns(api, udp, tcp, { host, port });
      udp.on("message", (message, peer) => {
        const reply = dns.reply(message);
        if (reply) udp.send(reply, peer.port, peer.address);
      });
      tcp.on("connection", (socket) => dns.serveTcp(socket));
      return dns;
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.udp.close(() => resolve()));
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }

  private serveTcp(socket: TcpSocket): void {
    let buffered = Buffer.alloc(0);
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        const reply = this.reply(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
        if (reply) {
          const framed = Buffer.alloc(2 + reply.length);
          framed.writeUInt16BE(reply.length, 0);
          reply.copy(framed, 2);
          socket.write(framed);
        }
      }
    });
  }

  /** The encoded answer to one query; undefined for what is not a query (dropped, as servers do). */
  reply(message: Buffer): Buffer | undefined {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined;
    }
    if (query.type !== "query" || !query.questions || query.questions.length !== 1) return undefined;
    const question = query.questions[0];
    const name = question.name.toLowerCase().replace(/\.$/, "");
    this.queries.push(`${question.type} ${name}`);
    const recursionDesired = (query.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
    const respond = (rcode: number, answers: Answer[]) => dnsPacket.encode({
      type: "response", id: query.id, flags: dnsPacket.AUTHORITATIVE_ANSWER | recursionDesired | rcode,
      questions: [question], answers,
    });
    if (!this.zoneOf(name)) return respond(REFUSED, []);
    const answers: Answer[] = [];
    let current = name;
    for (let hops = 0; hops < 8; hops++) {
      const here = this.recordsAt(current);
      if (here.length === 0) return respond(answers.length === 0 && !this.hasBelow(current) ? NXDOMAIN : 0, answers);
      const cname = here.find((r) => r.type === "CNAME");
      if (cname && question.type !== "CNAME") {
        answers.push(toAnswer(cname));
        current = cname.content.toLowerCase().replace(/\.$/, "");
        if (!this.zoneOf(current)) break; // outside the fake: the asker resolves the rest
        continue;
      }
      answers.push(...here.filter((r) => r.type === question.type && SERVED.has(r.type)).map(toAnswer));
      break;
    }
    return respond(0, answers);
  }

  private zoneOf(name: string): boolean {
    return [...this.api.zones.values()].some((z) => name === z.name || name.endsWith(`.${z.name}`));
  }

  private recordsAt(name: string): FakeRecord[] {
    return [...this.api.records.values()].filter((r) => r.name === name);
  }

  /** An empty non-terminal (a name with records only below it) exists: NOERROR, not NXDOMAIN. */
  private hasBelow(name: string): boolean {
    return [...this.api.zones.values()].some((z) => z.name === name)
      || [...this.api.records.values()].some((r) => r.name.endsWith(`.${name}`));
  }
}

const unquote = (text: string) => (text.length >= 2 && text.startsWith("\"") && text.endsWith("\"") ? text.slice(1, -1) : text);

function toAnswer(record: FakeRecord): Answer {
  const base = { name: record.name, ttl: record.ttl === 1 ? 300 : record.ttl, class: "IN" as const };
  switch (record.type) {
    case "A": return { ...base, type: "A", data: record.content };
    case "AAAA": return { ...base, type: "AAAA", data: record.content };
    case "CNAME": return { ...base, type: "CNAME", data: record.content.replace(/\.$/, "") };
    case "MX": return { ...base, type: "MX", data: { preference: record.priority ?? 10, exchange: record.content } };
    case "TXT": return { ...base, type: "TXT", data: [unquote(record.content)] };
    default: return { ...base, type: "TXT", data: [record.content] };
  }
}
