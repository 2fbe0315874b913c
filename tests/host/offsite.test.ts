/**
 * The off-site copy over SFTP for real: a tenant host (Debian 13) runs the layout stage, the
 * offsite stage with its subaccount's host, user and password on stdin, and the daily backup;
 * a second host plays the Storage Box (OpenSSH, one chrooted SFTP-only user per tenant home, as a
 * subaccount is confined to its home directory; the chroot root is root's, so each home holds a
 * writable `daily`, a test-host fact). The backup lands in the tenant's own home; the other
 * tenant's credential sees none of it; the box's host key is pinned.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { OFFSITE_BACKUP_REMOTE, OFFSITE_PASSWORD_SPECIAL, OFFSITE_STAGE_INPUTS, planOffsiteStage } from "../../components/backup/offsite";
import { HostParams, Stage, planStage, renderSecretsFile } from "../../components/host/stages";
import { password } from "../engine/standins/random";
import { hostInfra } from "./lib/infra";
import { SshSession } from "./lib/ssh";
import { sequentialSteps } from "./lib/steps";
import { ed25519Pair } from "../fixtures/ed25519";

const ID = process.pid;
const NET = `letsbe-offsite-${ID}`;
// 198.18.100.0/22 is engine block 25's; this file takes its first /24.
const SUBNET = "198.18.100.0/24";
const GATEWAY = "198.18.100.1";
const TENANT = { name: `letsbe-offsite-tenant-${ID}`, address: "198.18.100.10" };
const BOX = { name: `letsbe-offsite-box-${ID}`, address: "198.18.100.11" };
const ROOT = join(__dirname, "..", "..");
const makePassword = () => password({ length: 40, special: true, overrideSpecial: OFFSITE_PASSWORD_SPECIAL, minUpper: 2, minLower: 2, minNumeric: 2, minSpecial: 2 });
const ACCOUNTS = [
  { slug: "acme-bakery", user: "u4711-sub1", password: makePassword() },
  { slug: "nordlicht-studio", user: "u4711-sub2", password: makePassword() },
] as const;
const [ACME, NORDLICHT] = ACCOUNTS;

const { step } = sequentialSteps();
let engine = "running";
let tenant: SshSession;
let box: SshSession;
let backupName = "";

const PARAMS: HostParams = {
  hostname: "offsite-tenant", domain: "acme-bakery.example.net", managementCidrs: [`${GATEWAY}/32`], acmeEmail: "ops@example.net", issueCertificate: false,
  backupRemote: OFFSITE_BACKUP_REMOTE,
};

async function runStage(stage: Stage, secrets: Record<string, string>) {
  for (const file of stage.files) await tenant.upload(file.remotePath, file.content);
  return tenant.exec(stage.command, renderSecretsFile(secrets, stage.secrets));
}
const changes = (stdout: string) => Number(/letsbe-stage \S+ changes=(\d+)/.exec(stdout)?.[1] ?? NaN);
const offsiteSecrets = { OFFSITE_HOST: BOX.address, OFFSITE_USER: ACME.user, OFFSITE_PASSWORD: ACME.password } satisfies Record<(typeof OFFSITE_STAGE_INPUTS)[number], string>;

/** The Storage Box stand-in: one chrooted, SFTP-only, password-only user per tenant home. */
function boxSetup(): string {
  const users = ACCOUNTS.map((a) => `
id -u ${a.user} >/dev/null 2>&1 || useradd --no-create-home --home-dir / --shell /usr/sbin/nologin ${a.user}
install -d -m 0755 -o root -g root /srv/box/tenants/${a.slug}
install -d -m 0700 -o ${a.user} -g ${a.user} /srv/box/tenants/${a.slug}/daily`).join("");
  const matches = ACCOUNTS.map((a) => `Match User ${a.user}\n  ChrootDirectory /srv/box/tenants/${a.slug}\n  ForceCommand internal-sftp\n  AllowTcpForwarding no\n  X11Forwarding no\n`).join("");
  return `set -eu
install -d -m 0755 /srv/box /srv/box/tenants${users}
chpasswd
cat >/etc/ssh/sshd_config.d/50-storage-box.conf <<'CONF'
${matches}CONF
sshd -t && systemctl reload ssh`;
}

/** rclone on the tenant host with a remote of its own from the environment (the password obscured from stdin). */
const otherRemote = (user: string, args: string) => `read -r PW; export RCLONE_CONFIG_OTHER_TYPE=sftp RCLONE_CONFIG_OTHER_HOST=${BOX.address} RCLONE_CONFIG_OTHER_USER=${user} \
RCLONE_CONFIG_OTHER_SHELL_TYPE=none RCLONE_CONFIG_OTHER_KNOWN_HOSTS_FILE=/etc/letsbe/backup-known_hosts; \
RCLONE_CONFIG_OTHER_PASS="$(printf '%s' "$PW" | rclone obscure -)" rclone --config /dev/null --contimeout 10s --retries 1 --low-level-retries 1 ${args}`;

describe("off-site backup over SFTP to a tenant's own chrooted account", () => {
  beforeAll(async () => {
    engine = hostInfra("engine").trim();
    hostInfra("image");
    const keys = ed25519Pair("letsbe-provisioning-test");
    const dir = mkdtempSync(join(tmpdir(), "letsbe-offsite-"));
    writeFileSync(join(dir, "provisioning.pub"), `${keys.public}\n`);
    hostInfra("network", NET, SUBNET, GATEWAY);
    for (const host of [TENANT, BOX]) hostInfra("run-at", host.name, NET, host.address, join(dir, "provisioning.pub"));
    tenant = await SshSession.connect({ host: TENANT.address, port: 22, username: "root", privateKey: keys.private });
    box = await SshSession.connect({ host: BOX.address, port: 22, username: "root", privateKey: keys.private });
    await box.run(boxSetup(), ACCOUNTS.map((a) => `${a.user}:${a.password}\n`).join(""));
  });

  afterAll(() => {
    for (const s of [tenant, box]) s?.close();
    for (const host of [TENANT, BOX]) hostInfra("stop", host.name);
    hostInfra("network-rm", NET);
    if (engine === "started") hostInfra("engine-stop");
  });

  step("the layout stage writes the subaccount's remote and no rclone.conf; the offsite stage writes it, the password obscured on the host", async () => {
    const layout = await runStage(planStage("layout", PARAMS), { REGISTRATION_TOKEN: "offsite-test-registration" });
    expect(layout.code, layout.stderr).toBe(0);
    expect(await tenant.run("grep ^RCLONE_REMOTE= /etc/letsbe/backup.env")).toBe("RCLONE_REMOTE=letsbe-offsite:daily\n");
    expect((await tenant.exec("test -e /etc/letsbe/backup-rclone.conf")).code).toBe(1);

    const offsite = await runStage(planOffsiteStage(), offsiteSecrets);
    expect(offsite.code, offsite.stderr).toBe(0);
    expect(offsite.stdout + offsite.stderr).not.toContain(ACME.password);
    expect(await tenant.run("stat -c '%a %U' /etc/letsbe/backup-rclone.conf /etc/letsbe/backup-known_hosts")).toBe("600 root\n600 root\n");
    const conf = await tenant.run("cat /etc/letsbe/backup-rclone.conf");
    expect(conf).not.toContain(ACME.password);
    expect(conf).toContain(`[letsbe-offsite]\ntype = sftp\nhost = ${BOX.address}\nport = 22\nuser = ${ACME.user}\n`);
    expect(conf).toContain("shell_type = none\nknown_hosts_file = /etc/letsbe/backup-known_hosts\n");
    const obscured = /^pass = (\S+)$/m.exec(conf)?.[1] ?? "";
    expect(await tenant.run(`rclone reveal -- '${obscured}'`)).toBe(`${ACME.password}\n`);
    // The recorded key is the box's own.
    const boxKey = (await box.run("cut -d' ' -f2 /etc/ssh/ssh_host_ed25519_key.pub")).trim();
    expect(await tenant.run("cat /etc/letsbe/backup-known_hosts")).toContain(`${BOX.address} ssh-ed25519 ${boxKey}`);
  });

  step("a second run changes nothing", async () => {
    const again = await runStage(planOffsiteStage(), offsiteSecrets);
    expect(again.code, again.stderr).toBe(0);
    expect(changes(again.stdout)).toBe(0);
  });

  step("the daily backup (backup.sh) uploads to the tenant's own home on the box", async () => {
    await tenant.run("command -v jq >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null");
    for (const file of ["backup.sh", "data.sh"]) await tenant.upload(`/opt/letsbe/stack/${file}`, readFileSync(join(ROOT, "components", "compose", file), "utf8"));
    await tenant.upload("/opt/letsbe/stack/current/manifest.json", JSON.stringify({ project: "letsbe-acme-bakery", services: {} }));
    const run = await tenant.exec("bash /opt/letsbe/stack/backup.sh");
    const status = JSON.parse(await tenant.run("cat /opt/letsbe/backups/backup-status.json")) as { backup: string; status: string; remote_sync: unknown };
    expect(status.remote_sync, run.stderr).toEqual({ status: "success" });
    expect(run.code).toBe(0);
    backupName = status.backup;
    expect((await box.run(`ls /srv/box/tenants/acme-bakery/daily/${backupName}`)).split("\n").filter(Boolean).sort())
      .toEqual(["COMPLETE", "SHA256SUMS", "items.json", "manifest.json", "secrets.tar"]);
    expect(await box.run("find /srv/box/tenants/nordlicht-studio -mindepth 1")).toBe("/srv/box/tenants/nordlicht-studio/daily\n");
  });

  step("the other tenant's credential reaches its own home only: none of this tenant's backup is visible or readable", async () => {
    expect(await tenant.run(otherRemote(NORDLICHT.user, "lsf -R other:"), `${NORDLICHT.password}\n`)).toBe("daily/\n");
    for (const path of [`../acme-bakery/daily/${backupName}/manifest.json`, `/srv/box/tenants/acme-bakery/daily/${backupName}/manifest.json`, `daily/${backupName}/manifest.json`]) {
      const read = await tenant.exec(otherRemote(NORDLICHT.user, `cat 'other:${path}'`), `${NORDLICHT.password}\n`);
      expect(read.code, path).not.toBe(0);
      expect(read.stdout).toBe("");
    }
    // Nor does it open the other account.
    const wrong = await tenant.exec(otherRemote(ACME.user, "lsf other:"), `${NORDLICHT.password}\n`);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/unable to authenticate|permission denied|handshake failed/i);
  });

  step("the box's host key is pinned: after it changes the upload is refused", async () => {
    await box.run("rm -f /etc/ssh/ssh_host_*key* && ssh-keygen -A >/dev/null && systemctl restart ssh");
    const run = await tenant.exec("bash /opt/letsbe/stack/backup.sh");
    expect(run.code).toBe(1);
    const status = JSON.parse(await tenant.run("cat /opt/letsbe/backups/backup-status.json")) as { remote_sync: { status: string; error: string } };
    expect(status.remote_sync.status).toBe("failed");
    expect(status.remote_sync.error).toMatch(/knownhosts|key mismatch|host key/i);
  });
});
