/**
 * The snapshot job as one self-contained file for the hub (./main.ts with zod and commander
 * inside), made by esbuild at `npm run build` into dist/snapshots/; the hub's snapshot stage
 * (components/hub/snapshots.ts) copies exactly that file, and its hash is the stage's trigger.
 * Built from the checkout's root so the bundle names no absolute path: the same sources give
 * the same bytes on every machine.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build, type Plugin } from "esbuild";
import { SNAPSHOT_JOB_BUNDLE } from "../../components/hub/snapshots";
import { repoRoot } from "../repoRoot";

/**
 * The netcup schemas `require("zod")` (they are serialized into the dynamic provider) where the
 * rest imports it: resolved by kind, that is zod twice, its CommonJS and its ES build. Every
 * reference goes to the ES build, so the bundle holds one zod.
 */
const oneZod: Plugin = {
  name: "one-zod",
  setup(b) {
    b.onResolve({ filter: /^zod$/ }, (args) => args.pluginData === "one-zod"
      ? undefined
      : b.resolve("zod", { kind: "import-statement", resolveDir: args.resolveDir, pluginData: "one-zod" }));
  },
};

/** The bundle's text. */
export async function bundleSnapshotJob(root: string = repoRoot()): Promise<string> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join("automation", "snapshots", "main.ts")],
    bundle: true,
    platform: "node",
    // Debian 13's nodejs package, which the hub runs it with.
    target: "node20",
    format: "cjs",
    // Whitespace and syntax only: names stay, so a stack trace on the hub still reads (700 kB, not 1 MB).
    minifyWhitespace: true,
    minifySyntax: true,
    write: false,
    legalComments: "eof",
    banner: { js: "#!/usr/bin/env node\n// LetsBe snapshot job (automation/snapshots/main.ts), bundled by esbuild; generated, do not edit." },
    plugins: [oneZod],
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

/** Writes the bundle where the hub stage reads it; returns the path. */
export async function writeSnapshotBundle(root: string = repoRoot()): Promise<string> {
  const file = join(root, SNAPSHOT_JOB_BUNDLE);
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, await bundleSnapshotJob(root));
  return file;
}

if (require.main === module) {
  // Silent on success: `npm run --silent build` precedes commands whose stdout is their output.
  writeSnapshotBundle().then(
    () => undefined,
    (error: unknown) => {
      process.stderr.write(`snapshot job bundle failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
