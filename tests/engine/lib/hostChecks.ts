/** What every provisioned host must show, checked over SSH at the address its provider reported. */
import { expect } from "vitest";
import { SshSession } from "../../host/lib/ssh";

export async function onHost<T>(address: string, privateKey: string, body: (ssh: SshSession) => Promise<T>): Promise<T> {
  const ssh = await SshSession.connect({ host: address, port: 22, username: "root", privateKey });
  try {
    return await body(ssh);
  } finally {
    ssh.close();
  }
}

export async function expectHardenedAndServing(address: string, privateKey: string, managementAddress: string, services: readonly string[]): Promise<void> {
  await onHost(address, privateKey, async (ssh) => {
    const units = ["ssh", "nginx", "docker", "fail2ban", "ufw", "certbot.timer", "apt-daily-upgrade.timer"];
    expect((await ssh.run(`systemctl is-active ${units.join(" ")}`)).trim().split("\n")).toEqual(units.map(() => "active"));
    const ufw = await ssh.run("ufw status verbose");
    expect(ufw).toContain("Status: active");
    expect(ufw).toMatch(/Default: deny \(incoming\)/);
    expect(await ssh.run("ufw show added")).toContain(`ufw allow from ${managementAddress} to any port 22 proto tcp`);
    const ps = (await ssh.run("docker compose -p letsbe ps --format '{{.Service}} {{.Health}}' | sort")).trim().split("\n");
    expect(ps).toEqual([...services].sort().map((s) => `${s} healthy`));
    for (const image of (await ssh.run("docker inspect -f '{{.Config.Image}}' $(docker compose -p letsbe ps -q)")).trim().split("\n")) {
      expect(image).toMatch(/@sha256:[0-9a-f]{64}$/);
    }
  });
}
