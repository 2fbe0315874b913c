import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MockRunResult, runUnderMocks } from "../../automation/plan/mockRuntime";
import { hubRunOptions } from "../../automation/plan/stackConfig";
import { repoRoot } from "../../automation/repoRoot";
import { renderHubNginxConf } from "../../components/hub/nginx";
import { hubProgram } from "../../stacks/hub/program";

/** The body of one `location` block. */
function block(conf: string, path: string): string {
  const start = conf.indexOf(`location ${path} {`);
  if (start < 0) throw new Error(`no location ${path}`);
  return conf.slice(start, conf.indexOf("}", start));
}

describe("hub nginx site (seed 001 §2.2)", () => {
  const conf = renderHubNginxConf({ domain: "hub.eu.letsbe.biz" });

  it("serves the hub name over TLS with the certificate of the base tls stage", () => {
    expect(conf).toContain("server_name hub.eu.letsbe.biz;");
    expect(conf).toMatch(/listen 443 ssl;\n\s+listen \[::\]:443 ssl;\n\s+http2 on;/);
    expect(conf).toContain("ssl_certificate /etc/letsbe/tls/current/fullchain.pem;");
    expect(conf).toContain("ssl_certificate_key /etc/letsbe/tls/current/privkey.pem;");
    expect(conf).not.toMatch(/listen 80/);
  });

  it("sends security headers on every response", () => {
    for (const header of [
      'Strict-Transport-Security "max-age=31536000; includeSubDomains" always',
      'X-Content-Type-Options "nosniff" always',
      'X-Frame-Options "DENY" always',
      'Referrer-Policy "strict-origin-when-cross-origin" always',
    ]) expect(conf).toContain(`add_header ${header};`);
    // add_header in a location would drop the server's headers there.
    expect(conf.match(/add_header/g)).toHaveLength(4);
  });

  it("rate-limits the public API at 10 r/s and the tenant API at 30 r/s, zones in the http context", () => {
    expect(conf.indexOf("limit_req_zone")).toBeLessThan(conf.indexOf("server {"));
    expect(conf).toContain("zone=letsbe_hub_public_api:10m rate=10r/s;");
    expect(conf).toContain("zone=letsbe_hub_tenant_api:10m rate=30r/s;");
    expect(block(conf, "/api/v1/public/")).toContain("limit_req zone=letsbe_hub_public_api burst=20 nodelay;");
    expect(block(conf, "/api/v1/tenant/")).toContain("limit_req zone=letsbe_hub_tenant_api burst=50 nodelay;");
  });

  it("streams provisioning logs (SSE) unbuffered and relays chat over WebSocket", () => {
    const sse = block(conf, "/api/v1/admin/orders/");
    for (const line of ["proxy_buffering off;", "proxy_cache off;", "proxy_set_header Connection '';", "proxy_read_timeout 3600s;", "proxy_http_version 1.1;"]) {
      expect(sse).toContain(line);
    }
    const ws = block(conf, "/api/v1/customer/ws");
    for (const line of ["proxy_set_header Upgrade $http_upgrade;", 'proxy_set_header Connection "upgrade";', "proxy_read_timeout 86400s;"]) {
      expect(ws).toContain(line);
    }
  });

  it("proxies every route to the web/API container on 127.0.0.1 only", () => {
    const passes = conf.match(/proxy_pass [^;]+;/g) ?? [];
    expect(passes).toHaveLength(5);
    for (const pass of passes) expect(pass).toBe("proxy_pass http://127.0.0.1:3847;");
  });
});

describe("rendered hub stages", () => {
  let result: MockRunResult;
  beforeAll(async () => {
    result = await runUnderMocks(hubProgram, hubRunOptions(repoRoot(), "prod-eu", { org: "letsbe" }));
  });

  const copied = (name: string) => {
    const copy = result.resources.find((r) => r.name === name);
    if (!copy) throw new Error(`no resource ${name}`);
    return { text: String((copy.plainInputs.source as { text: string }).text), remotePath: String(copy.plainInputs.remotePath) };
  };
  const HUB_STAGES = ["hub-eu-apps", "hub-eu-site", "hub-eu-backup"];

  it.each(HUB_STAGES)("%s is one shellcheck-clean script", (name) => {
    const file = join(mkdtempSync(join(tmpdir(), "hub-stage-")), `${name}.sh`);
    writeFileSync(file, copied(`${name}-script`).text);
    const check = spawnSync("shellcheck", ["--shell=bash", file], { encoding: "utf8" });
    expect(check.error).toBeUndefined();
    expect(check.stdout + check.stderr).toBe("");
    expect(check.status).toBe(0);
  });

  it("copies the nginx site that was rendered; the script tests it before reloading", () => {
    expect(copied("hub-eu-site-site.conf").text).toBe(renderHubNginxConf({ domain: "hub.eu.letsbe.biz" }));
    const script = copied("hub-eu-site-script").text;
    expect(script.indexOf("nginx -t")).toBeGreaterThan(0);
    expect(script.indexOf("nginx -t")).toBeLessThan(script.indexOf("systemctl reload-or-restart nginx"));
  });

  it("runs each hub stage from its copied script through the runner", () => {
    for (const name of HUB_STAGES) {
      const create = String(result.resources.find((r) => r.name === name)?.plainInputs.create);
      const script = copied(`${name}-script`);
      expect(create).toMatch(new RegExp(`^LB_STAGE=${name.replace("hub-eu-", "hub-")} LB_WITH_SECRETS=[01] .* bash ${script.remotePath}$`));
      expect(script.text.trimEnd().endsWith("lb_run_stage")).toBe(true);
    }
  });
});
