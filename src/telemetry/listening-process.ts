/**
 * Which local process listens on a loopback port (Linux): the socket's inode from /proc/net/tcp{,6},
 * then the process holding a descriptor to it. It lets `orket bench --base-url http://127.0.0.1:8080/v1`
 * measure the server's own memory and leave its CPU time out of the machine's load, without
 * `--server-pid`. Only processes this user may inspect are found; anything else is null.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const LISTEN = "0A";

/** The pid listening on `port` at a loopback or wildcard address, or null when it cannot be told. */
export function findListeningPid(port: number, procRoot = "/proc"): number | null {
  if (process.platform !== "linux") return null;
  const inodes = new Set<string>();
  for (const table of ["tcp", "tcp6"]) {
    let text: string;
    try {
      text = readFileSync(`${procRoot}/net/${table}`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (!local || fields[3] !== LISTEN) continue;
      const [address, hexPort] = local.split(":");
      if (hexPort === undefined || Number.parseInt(hexPort, 16) !== port) continue;
      if (isLoopbackOrAny(address ?? "") && fields[9] && fields[9] !== "0") inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return null;
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`${procRoot}/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`${procRoot}/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) return Number(pid);
      } catch {
        // The descriptor closed while we looked.
      }
    }
  }
  return null;
}

/** The port of a base URL on this machine (127.0.0.0/8, ::1, localhost), or null for any other host. */
export function loopbackPort(baseURL: string): number | null {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    return null;
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!(host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host))) return null;
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  return Number.isInteger(port) ? port : null;
}

// /proc/net/tcp writes IPv4 addresses as one little-endian hex word; tcp6 as four.
function isLoopbackOrAny(hex: string): boolean {
  if (hex.length === 8) return hex === "00000000" || hex.endsWith("7F");
  if (hex.length === 32) {
    return (
      /^0+$/.test(hex) ||
      hex === "00000000000000000000000001000000" ||
      // ::ffff:127.x.y.z
      (hex.startsWith("0000000000000000FFFF0000") && hex.endsWith("7F"))
    );
  }
  return false;
}
