/**
 * The authoritative DNS side of the Cloudflare fake: answers queries for the fake's zones from the
 * records its API holds right now (UDP and TCP, one address and port), as Cloudflare's name servers
 * answer for a zone it hosts. An ACME server's DNS-01 check asks it. A CNAME at the name is
 * followed inside the fake's zones, as a resolver would, so delegated `_acme-challenge` names resolve.
 * Delegation is followed as a resolver walking down from the top zone would: a child zone answers
 * only once its parent holds NS records naming the child's name servers; until then the parent's
 * records answer (the child stays unreachable), and NS records for a zone the fake does not hold
 * give a referral.
 */
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server, type Socket as TcpSocket } from "node:net";
import * as dnsPacket from "dns-packet";
import type { FakeCloudflare } from "./server";
import type { FakeRecord, FakeZone } from "./model";

const NXDOMAIN = 3;
const REFUSED = 5;
const SERVED = new Set(["A", "AAAA", "CNAME", "TXT", "MX", "NS"]);

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
    const answers: Answer[] = [];
    let current = name;
    for (let hops = 0; hops < 8; hops++) {
      const found = this.authorityFor(current);
      if (!found) {
        if (answers.length === 0) return respond(REFUSED, []);
        break; // outside the fake: the asker resolves the rest
      }
      if ("referral" in found) {
        if (answers.length > 0) break;
        return dnsPacket.encode({ type: "response", id: query.id, flags: recursionDesired, questions: [question], answers: [], authorities: found.referral.map(toAnswer) });
      }
      const here = this.recordsAt(current, found.zone);
      if (question.type === "NS" && current === found.zone.name) {
        answers.push(...found.zone.nameServers.map((ns) => ({ name: current, type: "NS" as const, ttl: 86400, class: "IN" as const, data: ns })));
        break;
      }
      if (here.length === 0) return respond(answers.length === 0 && !this.hasBelow(current, found.zone) ? NXDOMAIN : 0, answers);
      const cname = here.find((r) => r.type === "CNAME");
      if (cname && question.type !== "CNAME") {
        answers.push(toAnswer(cname));
        current = cname.content.toLowerCase().replace(/\.$/, "");
        continue;
      }
      answers.push(...here.filter((r) => r.type === question.type && SERVED.has(r.type)).map(toAnswer));
      break;
    }
    return respond(0, answers);
  }

  /**
   * Who answers for `name`, walking down from the top zone the fake holds: into a child zone
   * only when the zone above delegates to the child's name servers; NS records at or above the
   * name for a zone not held here are a referral.
   */
  private authorityFor(name: string): { zone: FakeZone } | { referral: FakeRecord[] } | undefined {
    const holding = [...this.api.zones.values()].filter((z) => name === z.name || name.endsWith(`.${z.name}`)).sort((a, b) => a.name.length - b.name.length);
    let zone = holding[0];
    if (!zone) return undefined;
    for (;;) {
      const cut = this.delegationAbove(name, zone);
      if (!cut) return { zone };
      const child = holding.find((z) => z.name === cut.name);
      const targets = new Set(cut.records.map((r) => r.content.toLowerCase().replace(/\.$/, "")));
      if (!child || !child.nameServers.every((ns) => targets.has(ns))) return { referral: cut.records };
      zone = child;
    }
  }

  /** The highest name in `zone` at or above `name` (below the apex) holding NS records: a zone cut. */
  private delegationAbove(name: string, zone: FakeZone): { name: string; records: FakeRecord[] } | undefined {
    const labels = name.split(".");
    const depth = zone.name.split(".").length;
    for (let i = labels.length - depth - 1; i >= 0; i--) {
      const candidate = labels.slice(i).join(".");
      const records = this.recordsAt(candidate, zone).filter((r) => r.type === "NS");
      if (records.length > 0) return { name: candidate, records };
    }
    return undefined;
  }

  private recordsAt(name: string, zone: FakeZone): FakeRecord[] {
    return this.api.recordsOf(zone.id).filter((r) => r.name === name);
  }

  /** An empty non-terminal (a name with records only below it) exists: NOERROR, not NXDOMAIN. */
  private hasBelow(name: string, zone: FakeZone): boolean {
    return zone.name === name || this.api.recordsOf(zone.id).some((r) => r.name.endsWith(`.${name}`));
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
    case "NS": return { ...base, type: "NS", data: record.content.replace(/\.$/, "") };
    case "TXT": return { ...base, type: "TXT", data: [unquote(record.content)] };
    default: return { ...base, type: "TXT", data: [record.content] };
  }
}
