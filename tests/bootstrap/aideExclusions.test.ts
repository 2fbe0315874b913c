/**
 * The AIDE baseline is taken by the hardening stage; files that later stages write from Pulumi
 * state must be excluded, or the first daily check reports them as added. The off-site stage runs
 * after hardening, so its files are the case this guards.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..", "..");
const hardening = readFileSync(join(ROOT, "components", "host", "scripts", "stages", "hardening.sh"), "utf8");
const offsite = readFileSync(join(ROOT, "components", "backup", "offsite.sh"), "utf8");

/** AIDE's `!regex` lines of the managed drop-in; AIDE anchors each at the start of the path. */
function exclusions(): RegExp[] {
  const block = /90_letsbe[^\n]*<<'CONF'\n([\s\S]*?)\nCONF\n/.exec(hardening)?.[1];
  if (!block) throw new Error("hardening.sh has no 90_letsbe drop-in");
  return block.split("\n").filter((l) => l.startsWith("!")).map((l) => new RegExp(`^${l.slice(1)}`));
}
const excluded = (path: string) => exclusions().some((re) => re.test(path));

describe("AIDE exclusions", () => {
  it("cover every file the off-site stage writes under /etc/letsbe", () => {
    const paths = [...offsite.matchAll(/^OFFSITE_[A-Z_]+=(\/etc\/letsbe\/\S+)$/gm)].map((m) => m[1]);
    expect(paths.sort()).toEqual(["/etc/letsbe/backup-known_hosts", "/etc/letsbe/backup-rclone.conf", "/etc/letsbe/backup-rclone.sha256"]);
    for (const path of paths) expect(excluded(path), path).toBe(true);
  });

  it("do not hide the rest of /etc/letsbe or look-alike names", () => {
    for (const path of ["/etc/letsbe/hub.env", "/etc/letsbe/backup.env", "/etc/letsbe/backup-rclone.conf.bak", "/etc/letsbe"]) {
      expect(excluded(path), path).toBe(false);
    }
  });
});
