/**
 * Single stages on a fresh Debian 13 host container, without the whole bootstrap: the host key the
 * bootstrap pins, the runner's secrets parser (strict, checked, loud without the value), the
 * SSH port, which ufw and sshd both follow, and nginx reloading when the certificate link moves
 * (issue 13 part 5).
 */
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostParams, RECORD_HOST_KEY_COMMAND, StagePlan, planStage, renderSecretsFile, scriptsDir } from "../../components/host/stages";
import { SshSession } from "./lib/ssh";
import { docker, freePort, hostInfra } from "./lib/infra";
import { ed25519Pair } from "../fixtures/ed25519";

const NAME = `letsbe-host-alone-${process.pid}`;
let engine = "running";
let privateKey = "";
let session: SshSession;
let address = "";
let gateway = "";

/** A scripts folder whose `layout` stage only reports the registration token the runner loaded. */
function probeScripts(): string {
  const dir = mkdtempSync(join(tmpdir(), "letsbe-probe-"));
  cpSync(scriptsDir(), dir, { recursive: true });
  writeFileSync(join(dir, "stages", "layout.sh"),
    "stage_main() { printf 'loaded=%s\\n' \"$(lb_secret REGISTRATION_TOKEN | base64 -w0)\"; }\n");
  return dir;
}

const PARAMS: HostParams = { hostname: "alone", domain: "alone.example.net", managementCidrs: ["198.51.100.0/24"], acmeEmail: "ops@example.net" };

async function run(plan: StagePlan, stdin?: string) {
  await session.upload(plan.remotePath, plan.script);
  return session.exec(plan.command, stdin);
}

describe("single stages on a fresh host", () => {
  beforeAll(async () => {
    engine = hostInfra("engine").trim();
    hostInfra("image");
    const keys = ed25519Pair("letsbe-provisioning-test");
    privateKey = keys.private;
    const dir = mkdtempSync(join(tmpdir(), "letsbe-host-"));
    writeFileSync(join(dir, "provisioning.pub"), `${keys.public}\n`);
    const port = await freePort();
    hostInfra("run", NAME, String(port), join(dir, "provisioning.pub"));
    address = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", NAME).trim();
    gateway = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}", NAME).trim();
    session = await SshSession.connect({ host: "127.0.0.1", port, username: "root", privateKey });
  });

  afterAll(() => {
    session?.close();
    hostInfra("stop", NAME);
    if (engine === "started") hostInfra("engine-stop");
  });

  describe("the recorded host key", () => {
    /** Connects as the provider's Go client would (ECDSA P-256 first), accepting only `pinned`. */
    const connectPinned = async (pinned: string) => {
      const [type, blob] = pinned.split(" ");
      let presented = "";
      try {
        const pinnedSession = await SshSession.connect({
          host: address, port: 22, username: "root", privateKey,
          algorithms: { serverHostKey: ["ecdsa-sha2-nistp256", "ssh-ed25519"] },
          hostVerifier: (key: Buffer) => { presented = key.toString("base64"); return presented === blob; },
        });
        pinnedSession.close();
        return { accepted: true, presented, type };
      } catch {
        return { accepted: false, presented, type };
      }
    };

    it("is the key the server presents to a client that prefers ECDSA, and another key is refused", async () => {
      const recorded = await session.run(RECORD_HOST_KEY_COMMAND);
      expect(recorded).toMatch(/^ecdsa-sha2-nistp256 [A-Za-z0-9+/]+=*$/);
      expect(await connectPinned(recorded)).toMatchObject({ accepted: true });
      // The host's ed25519 key is not what such a client is shown: a pin on it would refuse the host.
      const other = (await session.run("cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub")).trim();
      const refused = await connectPinned(other);
      expect(refused.accepted).toBe(false);
      expect(refused.presented).toBe(recorded.split(" ")[1]);
    });

    it("fails, naming the file, on a host without that key", async () => {
      await session.run("mv /etc/ssh/ssh_host_ecdsa_key.pub /root/ecdsa.pub.away");
      try {
        const result = await session.exec(RECORD_HOST_KEY_COMMAND);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain("no host key /etc/ssh/ssh_host_ecdsa_key.pub");
      } finally {
        await session.run("mv /root/ecdsa.pub.away /etc/ssh/ssh_host_ecdsa_key.pub");
      }
    });
  });

  describe("the runner's secrets parser", () => {
    const plan = planStage("layout", PARAMS, probeScripts());
    const loaded = async (stdin: string) => {
      const result = await run(plan, stdin);
      return { ...result, value: /^loaded=(.*)$/m.exec(result.stdout)?.[1] };
    };

    it("keeps every byte of a value, its single-'=' padding and trailing newline too", async () => {
      // base64 of "ab" ends in one "="; IFS='=' used to drop it and base64 -d's complaint was hidden.
      for (const value of ["ab", "token with = and spaces\n", "x=y==\n\n"]) {
        const result = await loaded(renderSecretsFile({ REGISTRATION_TOKEN: value }, ["REGISTRATION_TOKEN"]));
        expect(result.code, result.stderr).toBe(0);
        expect(Buffer.from(result.value ?? "", "base64").toString("utf8")).toBe(value);
      }
    });

    it("refuses a value that is not base64, naming the variable and never showing the value", async () => {
      for (const bad of ["c2VjcmV0LXZhbHVl!", "c2VjcmV0LXZhbHVl=", "c2Vj=cmV0"]) {
        const result = await run(plan, `REGISTRATION_TOKEN=${bad}\n`);
        expect(result.code, bad).not.toBe(0);
        expect(result.stderr, bad).toMatch(/secret REGISTRATION_TOKEN (is not valid base64|does not decode)/);
        expect(result.stderr + result.stdout, bad).not.toContain(bad);
        expect(result.stdout, bad).not.toContain("loaded=");
      }
    });

    it("refuses a line without '=', a bad name and a name given twice, by line, without the content", async () => {
      const cases: [string, RegExp][] = [
        ["c2VjcmV0LXZhbHVl\n", /line 1 has no '='/],
        ["lower_case=c2VjcmV0LXZhbHVl\n", /line 1: the name is not/],
        ["\nREGISTRATION_TOKEN=YWI=\nREGISTRATION_TOKEN=YWI=\n", /secret REGISTRATION_TOKEN is given twice/],
      ];
      for (const [stdin, message] of cases) {
        const result = await run(plan, stdin);
        expect(result.code, stdin).not.toBe(0);
        expect(result.stderr, stdin).toMatch(message);
        expect(result.stderr, stdin).not.toContain("c2VjcmV0LXZhbHVl");
      }
      // The tmpfs copy is shredded however the stage ends.
      expect(await session.run("find /run/letsbe/secrets -mindepth 1 | wc -l")).toBe("0\n");
    });
  });

  describe("a configured SSH port", () => {
    const SSH_PORT = 2222;

    it("is the port ufw opens to management and the port sshd listens on, and 22 is closed", async () => {
      const params: HostParams = { ...PARAMS, managementCidrs: [`${gateway}/32`], sshPort: SSH_PORT };
      for (const stage of ["firewall", "ssh"] as const) {
        const result = await run(planStage(stage, params));
        expect(result.code, `${stage}: ${result.stderr}`).toBe(0);
      }
      const rules = (await session.run("ufw show added")).split("\n").filter((l) => l.startsWith("ufw ")).sort();
      expect(rules).toEqual(["ufw allow 443/tcp", "ufw allow 80/tcp", `ufw allow from ${gateway} to any port ${SSH_PORT} proto tcp`]);
      const listening = (await session.run("ss -ltnH '( sport = :22 or sport = :2222 )'")).trim().split("\n").map((l) => l.trim().split(/\s+/)[3]);
      expect(listening.length).toBeGreaterThan(0);
      for (const local of listening) expect(local).toMatch(/:2222$/);
      expect(await session.run("sshd -T -C user=root,host=localhost,addr=127.0.0.1 | grep '^port '")).toBe(`port ${SSH_PORT}\n`);
      // A new connection on the configured port, from the management address, with the provisioning key.
      const moved = await SshSession.connect({ host: address, port: SSH_PORT, username: "root", privateKey });
      try {
        expect(await moved.run("echo reached")).toBe("reached\n");
        // A second run of the ssh stage over the moved port changes nothing.
        const again = await moved.exec(planStage("ssh", params).command);
        expect(again.stdout).toContain("letsbe-stage ssh changes=0");
      } finally {
        moved.close();
      }
    });
  });

  describe("the certificate link", () => {
    const DOMAIN = PARAMS.domain;
    const live = `/etc/letsencrypt/live/${DOMAIN}`;
    const params: HostParams = { ...PARAMS, issueCertificate: false };
    const tls = () => run(planStage("tls", params), renderSecretsFile({ CLOUDFLARE_DNS_TOKEN: "cf-token-alone" }, ["CLOUDFLARE_DNS_TOKEN"]));
    const served = () => session.run(`echo | openssl s_client -connect 127.0.0.1:443 -servername ${DOMAIN} 2>/dev/null | openssl x509 -noout -subject -nameopt RFC2253`);
    // `systemctl reload nginx` only signals the master: its old workers may answer for a moment.
    const expectServed = async (cn: string) => {
      let subject = await served();
      for (let i = 0; i < 20 && subject !== `subject=CN=${cn}\n`; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        subject = await served();
      }
      expect(subject).toBe(`subject=CN=${cn}\n`);
    };

    it("moves to the issued certificate only with a reload nginx accepts, and retries on the next run", async () => {
      for (const result of [await tls(), await run(planStage("nginx", params))]) expect(result.code, result.stderr).toBe(0);
      await expectServed(DOMAIN);
      // Stands in for what certbot leaves behind, while some other nginx configuration is broken.
      await session.run(`install -d -m 0700 ${live} && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj '/CN=issued.${DOMAIN}' `
        + `-keyout ${live}/privkey.pem -out ${live}/fullchain.pem 2>/dev/null`);
      await session.run("printf 'not nginx;\\n' > /etc/nginx/conf.d/zz-broken.conf");
      const refused = await tls();
      // Before, the stage succeeded, the link pointed at the issued certificate, and nginx kept the placeholder for good.
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("nginx -t rejects the configuration: /etc/letsbe/tls/current stays on /etc/letsbe/tls/placeholder");
      expect(await session.run("readlink /etc/letsbe/tls/current")).toBe("/etc/letsbe/tls/placeholder\n");
      await expectServed(DOMAIN);
      await session.run("rm /etc/nginx/conf.d/zz-broken.conf");
      const switched = await tls();
      expect(switched.code, switched.stderr).toBe(0);
      expect(await session.run("readlink /etc/letsbe/tls/current")).toBe(`${live}\n`);
      await expectServed(`issued.${DOMAIN}`);
    });
  });
});
