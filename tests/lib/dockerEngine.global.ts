// One owner for the tier's Docker engine: files run two at a time, so a file that started dockerd
// and stopped it in its own teardown pulled it from under the other worker's file.
import { hostInfra } from "../host/lib/infra";

export default function setup(): () => void {
  const state = hostInfra("engine").trim();
  return () => {
    if (state === "started") hostInfra("engine-stop");
  };
}
