import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pickImageFlavour } from "../../components/netcup/lifecycle";
import { isProduct, poolReport } from "../../components/netcup/pool";
import { scpSchemas } from "../../components/netcup/schemas";
import type { FakeScp } from "../fakes/scp/server";
import { recording } from "../fakes/scp/spec";
import { FAST, startFake } from "./helpers";

describe("pool report", () => {
  let fake: FakeScp;
  beforeAll(async () => {
    fake = await startFake({
      servers: [
        { product: "RS 4000 G12" }, { product: "RS 4000 G12" }, { product: "RS 4000 G12", site: "Manassas" },
        { product: "RS 1000 G12", nickname: "letsbe-tenant:acme-bakery" }, { product: "RS 1000 G12", nickname: "mail-box" },
        { product: "RS 2000 G12", disabled: true },
      ],
    });
  });
  afterAll(async () => fake?.stop());

  it("counts free servers by product and site, ignoring claimed, foreign and disabled ones", async () => {
    const report = await poolReport({ apiUrl: fake.apiUrl, tokenUrl: fake.tokenUrl, refreshToken: fake.refreshToken, ...FAST });
    expect(report.map(({ product, site, free }) => ({ product, site, free }))).toEqual([
      { product: "RS 4000 G12", site: "Manassas", free: 1 },
      { product: "RS 4000 G12", site: "Nuremberg", free: 2 },
    ]);
    expect(report[1].serverNames).toEqual([fake.byName("v0000000000002000000").name, fake.byName("v0000000000002000001").name]);
    expect(fake.violations).toEqual([]);
  });
});

describe("choosing by name", () => {
  const flavours = scpSchemas().imageFlavours.parse(recording("GET_servers_111007_imageflavours.json").responseBody);

  it("picks the Debian 13 flavour matching the server's boot mode, never a fixed id", () => {
    expect(pickImageFlavour(flavours, "Debian 13", true).image?.name).toBe("Debian 13.6.0 UEFI amd64");
    expect(pickImageFlavour(flavours, "Debian 13", false).image?.name).toBe("Debian 13.6.0 BIOS amd64");
    expect(pickImageFlavour(flavours, "Debian 12", true).image?.name).toBe("Debian 12.15.0 BIOS amd64");
    const renumbered = flavours.map((f) => ({ ...f, id: f.id + 1000 }));
    expect(pickImageFlavour(renumbered, "Debian 13", true).id).toBe(1128);
  });

  it("names what is offered when the family is missing", () => {
    expect(() => pickImageFlavour(flavours, "Debian 14", true)).toThrow(/no image flavour of "Debian 14".*offered: .*Debian 13\.6\.0 UEFI amd64/);
  });

  it("matches products by template name, keeping Pro lines apart", () => {
    expect(isProduct("RS 2000 G12", "RS 2000 G12")).toBe(true);
    expect(isProduct("RS 2000 G12 Pro", "RS 2000 G12")).toBe(false);
    expect(isProduct("RS 2000 G12 12M", "RS 2000 G12")).toBe(true);
    expect(isProduct("RS 2000 G120", "RS 2000 G12")).toBe(false);
    expect(isProduct(undefined, "RS 2000 G12")).toBe(false);
  });
});
