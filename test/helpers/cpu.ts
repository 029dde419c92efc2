/**
 * CPU milliseconds `fn` takes in this process (user + system): the bound a linear-time test asserts is
 * about the code's work, not about how busy the shared test machine is (wall time is).
 */
export function cpuMsOf(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const used = process.cpuUsage(c0);
  return (used.user + used.system) / 1000;
}
