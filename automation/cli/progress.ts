/** Live progress: a line per tenant event, plus a bar on an interactive terminal (not in CI). */
import { MultiBar, Presets, SingleBar } from "cli-progress";

export interface Progress {
  /** A line that stays (one per tenant result, stop reasons, ...). */
  line(text: string): void;
  /** Starts or resizes the bar. */
  total(count: number, label: string): void;
  tick(): void;
  /** What is running now (a bar's label); plain lines ignore it. */
  status?(label: string): void;
  stop(): void;
}

export function isInteractive(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.CI;
}

/** Plain lines on stdout: what CI logs want. */
export class PlainProgress implements Progress {
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}
  line(text: string): void {
    this.out.write(`${text}\n`);
  }
  total(count: number, label: string): void {
    this.line(`${label}: ${count} tenant(s)`);
  }
  tick(): void {}
  stop(): void {}
}

export class BarProgress implements Progress {
  private readonly multi = new MultiBar({
    format: " {bar} {value}/{total} {label}", hideCursor: true, clearOnComplete: false, stopOnComplete: false,
  }, Presets.shades_classic);
  private bar: SingleBar | undefined;

  line(text: string): void {
    this.multi.log(`${text}\n`);
  }
  total(count: number, label: string): void {
    if (this.bar) this.multi.remove(this.bar);
    this.bar = this.multi.create(count, 0, { label });
  }
  tick(): void {
    this.bar?.increment();
  }
  status(label: string): void {
    this.bar?.update({ label });
  }
  stop(): void {
    this.multi.stop();
  }
}

export function createProgress(env: NodeJS.ProcessEnv = process.env): Progress {
  return isInteractive(process.stdout, env) ? new BarProgress() : new PlainProgress();
}
