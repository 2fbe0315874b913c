/** What the fake's project can order: locations, datacenters, server types and the system image, as the API describes them. */

export interface Location {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly country: string;
  readonly city: string;
  readonly latitude: number;
  readonly longitude: number;
  readonly network_zone: string;
}

export const LOCATIONS: readonly Location[] = [
  { id: 1, name: "fsn1", description: "Falkenstein DC Park 1", country: "DE", city: "Falkenstein", latitude: 50.47612, longitude: 12.370071, network_zone: "eu-central" },
  { id: 2, name: "nbg1", description: "Nuremberg DC Park 1", country: "DE", city: "Nuremberg", latitude: 49.452102, longitude: 11.076665, network_zone: "eu-central" },
  { id: 3, name: "hel1", description: "Helsinki DC Park 1", country: "FI", city: "Helsinki", latitude: 60.169855, longitude: 24.938379, network_zone: "eu-central" },
  { id: 4, name: "ash", description: "Ashburn, VA", country: "US", city: "Ashburn, VA", latitude: 39.045821, longitude: -77.487073, network_zone: "us-east" },
  { id: 5, name: "hil", description: "Hillsboro, OR", country: "US", city: "Hillsboro, OR", latitude: 45.54222, longitude: -122.951924, network_zone: "us-west" },
];

const DATACENTER_NAMES: Readonly<Record<string, string>> = { fsn1: "fsn1-dc14", nbg1: "nbg1-dc3", hel1: "hel1-dc2", ash: "ash-dc1", hil: "hil-dc1" };

interface ServerTypeSpec { readonly id: number; readonly name: string; readonly cores: number; readonly memory: number; readonly disk: number }

export const SERVER_TYPES: readonly ServerTypeSpec[] = [
  { id: 22, name: "cpx11", cores: 2, memory: 2, disk: 40 },
  { id: 23, name: "cpx21", cores: 3, memory: 4, disk: 80 },
  { id: 24, name: "cpx31", cores: 4, memory: 8, disk: 160 },
  { id: 25, name: "cpx41", cores: 8, memory: 16, disk: 240 },
  { id: 26, name: "cpx51", cores: 16, memory: 32, disk: 360 },
];

export const IMAGES: readonly { id: number; name: string; osVersion: string }[] = [
  { id: 161547269, name: "debian-13", osVersion: "13" },
  { id: 114690389, name: "debian-12", osVersion: "12" },
];

const CREATED = "2024-01-01T00:00:00+00:00";

export function locationByName(name: string): Location | undefined {
  return LOCATIONS.find((l) => l.name === name);
}

/** A location from its name or its datacenter's name. */
export function locationOf(nameOrDatacenter: string): Location | undefined {
  return locationByName(nameOrDatacenter) ?? LOCATIONS.find((l) => DATACENTER_NAMES[l.name] === nameOrDatacenter);
}

export function datacenterBody(location: Location): Record<string, unknown> {
  const ids = SERVER_TYPES.map((t) => t.id);
  return {
    id: location.id,
    name: DATACENTER_NAMES[location.name],
    description: `${location.city} virtual DC`,
    location: { ...location },
    server_types: { supported: ids, available: ids, available_for_migration: ids },
  };
}

export function serverTypeBody(name: string): Record<string, unknown> | undefined {
  const type = SERVER_TYPES.find((t) => t.name === name);
  if (!type) return undefined;
  const price = { net: "10.0000000000", gross: "11.9000000000" };
  return {
    id: type.id, name: type.name, description: type.name.toUpperCase(), category: "regular_purpose", cores: type.cores, memory: type.memory, disk: type.disk,
    deprecated: false, deprecation: null, cpu_type: "shared", storage_type: "local", architecture: "x86",
    locations: LOCATIONS.map((l) => ({ id: l.id, name: l.name, deprecation: null })),
    prices: LOCATIONS.map((l) => ({ location: l.name, included_traffic: 21990232555520, price_hourly: price, price_monthly: price, price_per_tb_traffic: price })),
  };
}

/** The image by name or id (the API takes either). */
export function imageBody(nameOrId: string): Record<string, unknown> | undefined {
  const image = IMAGES.find((i) => i.name === nameOrId || String(i.id) === nameOrId);
  if (!image) return undefined;
  return {
    id: image.id, type: "system", status: "available", name: image.name, description: `Debian ${image.osVersion}`, image_size: null, disk_size: 5,
    created: CREATED, created_from: null, bound_to: null, os_flavor: "debian", os_version: image.osVersion, rapid_deploy: true,
    protection: { delete: false }, deprecated: null, deleted: null, labels: {}, architecture: "x86",
  };
}
