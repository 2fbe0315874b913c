// As on an operator's machine, the CLI the Automation API runs is the first `pulumi` on PATH.
import { engineBin } from "./engine";

process.env.PATH = `${engineBin()}:${process.env.PATH ?? ""}`;
